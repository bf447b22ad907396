// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'packages/db/src/generated/**',
      '.tap/**',
      'bench/tmp/**',
      '.stryker-tmp/**',
      'reports/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through @sms/config (loadConfig).' },
      ],
    },
  },
  {
    // The one place that reads the environment, and tools that hand it to child processes.
    files: [
      'packages/config/src/**',
      'scripts/**',
      'prisma.config.ts',
      '**/test/**',
      'test/**',
      'bench/**',
      'test-faults/**',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
);
