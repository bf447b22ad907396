// docs/configuration.md is generated from the config schema; this fails when
// the committed file is stale (run `pnpm docs:config` and commit the result).
import { readFileSync } from 'node:fs';
import t from 'tap';
import { ConfigSchema } from '@sms/config';
import { CONFIG_DOC, renderConfigDoc } from '../scripts/config-doc';

t.test('docs/configuration.md is what `pnpm docs:config` writes', async (t) => {
  const committed = readFileSync(CONFIG_DOC, 'utf8');
  t.ok(committed === (await renderConfigDoc()), 'up to date; if not, run `pnpm docs:config`');
});

t.test('every variable of the schema is documented', async (t) => {
  const committed = readFileSync(CONFIG_DOC, 'utf8');
  for (const name of Object.keys(ConfigSchema.properties)) {
    t.match(committed, new RegExp(`^\\| \`${name}\` +\\|`, 'm'), name);
  }
});
