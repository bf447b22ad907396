// `pnpm build`: compiles the processes that containers run to plain JavaScript,
// so no TypeScript loader (tsx) is needed at run time.
//
// Each entry is bundled with esbuild: the workspace packages (@sms/*, which
// export TypeScript source) are compiled into the bundle, every package from
// node_modules stays an `import` that the production install provides. The
// output mirrors the source tree (dist/apps/api/src/server.js, ...) because
// code resolves files relative to its own location: the migrator finds
// `../../../prisma/migrations` from packages/db/src, and from dist/packages/db/src
// the same path is dist/prisma/migrations, where the migrations are copied.
//
// The build fails when bundled code imports a package that the workspace
// package owning that code does not list in its `dependencies` (a devDependency
// would be missing from the production image, and the crash would come only at
// run time, in the container).
//
// Usage: node --import tsx scripts/build.ts [api|worker|migrate ...]  (default: all)
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist');

/** What containers run; the key is the name used on the command line. */
export const ENTRIES = {
  api: 'apps/api/src/server.ts',
  worker: 'apps/worker/src/server.ts',
  migrate: 'packages/db/src/migrate-cli.ts',
} as const;
type EntryName = keyof typeof ENTRIES;

/** Where an entry's compiled file lands (relative to the repository root). */
export const outputFor = (entry: string) => join('dist', entry.replace(/\.ts$/, '.js'));

interface Manifest {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const manifests = new Map<string, { dir: string; manifest: Manifest }>();

/** The nearest package.json above `file` (cached per directory). */
async function owningPackage(file: string): Promise<{ dir: string; manifest: Manifest }> {
  let dir = dirname(file);
  for (;;) {
    const cached = manifests.get(dir);
    if (cached) return cached;
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const found = { dir, manifest: JSON.parse(await readFile(candidate, 'utf8')) as Manifest };
      manifests.set(dir, found);
      return found;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${file}`);
    dir = parent;
  }
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
const packageName = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** Keeps node_modules packages external and checks each is a declared runtime dependency. */
function externalPackages(undeclared: string[], externals: Set<string>): esbuild.Plugin {
  return {
    name: 'external-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        // Workspace packages are TypeScript source: compile them into the bundle.
        if (args.path.startsWith('@sms/')) return undefined;
        const name = packageName(args.path);
        const { dir, manifest } = await owningPackage(args.importer);
        const declared =
          manifest.dependencies?.[name] ?? manifest.optionalDependencies?.[name] ?? manifest.peerDependencies?.[name];
        if (!declared) {
          undeclared.push(
            `${relative(root, args.importer)} imports ${name}, which ${manifest.name ?? relative(root, dir)} does not list in "dependencies"`,
          );
        }
        externals.add(name);
        return { path: args.path, external: true };
      });
    },
  };
}

export async function build(names: EntryName[]): Promise<{ outputs: string[]; externals: string[] }> {
  // Removed first, so that a failed build never leaves an older one looking current.
  await rm(outdir, { recursive: true, force: true });
  const missing = names.filter((name) => !existsSync(join(root, ENTRIES[name])));
  if (missing.length) throw new Error(`entry not found: ${missing.map((n) => ENTRIES[n]).join(', ')}`);
  const undeclared: string[] = [];
  const externals = new Set<string>();
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: names.map((name) => ENTRIES[name]),
    outbase: '.',
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Readable output and real stack traces (containers run with --enable-source-maps).
    sourcemap: 'linked',
    keepNames: true,
    logLevel: 'warning',
    plugins: [externalPackages(undeclared, externals)],
  });
  if (result.errors.length) throw new Error('esbuild failed');
  if (undeclared.length) throw new Error(`undeclared runtime dependencies:\n  ${undeclared.join('\n  ')}`);

  // The bundles are ES modules whatever directory dist/ is copied to.
  await writeFile(join(outdir, 'package.json'), `${JSON.stringify({ type: 'module', private: true }, null, 2)}\n`);
  // Beside the bundles at the depth the migrator expects (see the top of this file).
  await mkdir(join(outdir, 'prisma'), { recursive: true });
  await cp(join(root, 'prisma/migrations'), join(outdir, 'prisma/migrations'), { recursive: true });

  return { outputs: names.map((name) => outputFor(ENTRIES[name])), externals: [...externals].sort() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const requested = process.argv.slice(2);
  const unknown = requested.filter((name) => !(name in ENTRIES));
  if (unknown.length) {
    console.error(`unknown entry: ${unknown.join(', ')} (known: ${Object.keys(ENTRIES).join(', ')})`);
    process.exit(1);
  }
  const names = (requested.length ? requested : Object.keys(ENTRIES)) as EntryName[];
  try {
    const { outputs, externals } = await build(names);
    for (const output of outputs) console.log(`built ${output}`);
    console.log(`external packages (from the production install): ${externals.join(', ')}`);
  } catch (err) {
    console.error(`build failed: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
