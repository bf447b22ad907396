// `npm run build`, and `prepack` (so `npm pack` / `pnpm pack` ship compiled
// code): dist/ holds the JavaScript and declarations compiled from src/.
// src/schema.ts (the types) is generated from openapi.json: in the service's
// repository by `pnpm install` (formatted, and checked against the API by its
// tests); here only when missing, e.g. in a copy of this folder alone.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';
import { URL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const here = (path) => new URL(path, import.meta.url);

if (!existsSync(here('src/schema.ts'))) {
  const document = JSON.parse(readFileSync(here('openapi.json'), 'utf8'));
  const header = '// Generated from openapi.json by openapi-typescript: do not edit.\n';
  writeFileSync(here('src/schema.ts'), header + astToString(await openapiTS(document)));
}
// A clean dist/: a file left by an older build must not ship.
rmSync(here('dist'), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: here('.'), stdio: 'inherit' });
