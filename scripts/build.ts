// `pnpm build`: compiles the processes that containers and `pnpm start` run to
// plain JavaScript, so no TypeScript loader (tsx) is needed at run time.
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
// The new build is made beside dist/ and then put in its place, so a process
// starting meanwhile (`pnpm start`) finds the old build or the new one, never
// half of one. dist/BUILD_STAMP is written last: scripts/start.mjs compares its
// time with the sources' to decide whether to build again.
//
// Usage: node --import tsx scripts/build.ts [--link-modules] [--out-dir=DIR] [api|worker|migrate|start ...]
// (default: every entry, into dist/)
import { cp, mkdir, readFile, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const distDir = join(root, 'dist');
/** Written last by a successful build. */
export const BUILD_STAMP = 'dist/BUILD_STAMP';

/** What containers and `pnpm start` run; the key is the name used on the command line. */
export const ENTRIES = {
  api: 'apps/api/src/server.ts',
  worker: 'apps/worker/src/server.ts',
  migrate: 'packages/db/src/migrate-cli.ts',
  start: 'scripts/start.ts',
} as const;
type EntryName = keyof typeof ENTRIES;

/** Where an entry's compiled file lands (relative to the repository root). */
export const outputFor = (entry: string) => join('dist', entry.replace(/\.ts$/, '.js'));

/** How every process's code is bundled (the services here, the bench's servers in bench/lib/compile.ts). */
export const NODE_BUNDLE = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Readable output, so stack traces read well as they are; the linked maps give
  // TypeScript positions with NODE_OPTIONS=--enable-source-maps (off by default:
  // scripts/node-options.ts says what it costs).
  sourcemap: 'linked',
  keepNames: true,
  logLevel: 'warning',
} as const satisfies esbuild.BuildOptions;

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
function externalPackages(undeclared: string[], externals: Map<string, string>): esbuild.Plugin {
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
        if (!externals.has(name)) externals.set(name, dir);
        return { path: args.path, external: true };
      });
    },
  };
}

export interface BuildOptions {
  /** Where the build goes (default dist/). */
  target?: string;
  /**
   * Link each external package into <target>/node_modules from this checkout's
   * install, so the bundles run here (`pnpm start`): pnpm gives each workspace
   * package its own node_modules, which Node does not search from dist/. Off
   * for a build that goes beside a production install (the Dockerfile).
   */
  linkModules?: boolean;
}

export async function build(
  names: EntryName[],
  { target = distDir, linkModules = false }: BuildOptions = {},
): Promise<{ outputs: string[]; externals: string[] }> {
  const outdir = `${target}.tmp-${process.pid}`;
  await rm(outdir, { recursive: true, force: true });
  try {
    const result = await buildInto(outdir, names, linkModules);
    // A failed build never reaches here: the older one stays, and without a
    // newer stamp `pnpm start` tries again.
    await writeFile(join(outdir, 'BUILD_STAMP'), `${new Date().toISOString()}\n`);
    await rm(target, { recursive: true, force: true });
    await rename(outdir, target);
    return result;
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

/** <outdir>/node_modules/<name> → the package as its owning workspace package sees it. */
async function linkExternals(outdir: string, externals: Map<string, string>): Promise<void> {
  for (const [name, owner] of externals) {
    const candidates = [join(owner, 'node_modules', name), join(root, 'node_modules', name)];
    const found = candidates.find((c) => existsSync(c));
    if (!found) throw new Error(`${name} is not installed (run pnpm install)`);
    const link = join(outdir, 'node_modules', name);
    await mkdir(dirname(link), { recursive: true });
    await symlink(await realpath(found), link, 'dir');
  }
}

async function buildInto(
  outdir: string,
  names: EntryName[],
  linkModules: boolean,
): Promise<{ outputs: string[]; externals: string[] }> {
  const missing = names.filter((name) => !existsSync(join(root, ENTRIES[name])));
  if (missing.length) throw new Error(`entry not found: ${missing.map((n) => ENTRIES[n]).join(', ')}`);
  const undeclared: string[] = [];
  const externals = new Map<string, string>();
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: names.map((name) => ENTRIES[name]),
    outbase: '.',
    outdir,
    ...NODE_BUNDLE,
    plugins: [externalPackages(undeclared, externals)],
  });
  if (result.errors.length) throw new Error('esbuild failed');
  if (undeclared.length) throw new Error(`undeclared runtime dependencies:\n  ${undeclared.join('\n  ')}`);

  // The bundles are ES modules whatever directory dist/ is copied to.
  await writeFile(join(outdir, 'package.json'), `${JSON.stringify({ type: 'module', private: true }, null, 2)}\n`);
  // Beside the bundles at the depth the migrator expects (see the top of this file).
  await mkdir(join(outdir, 'prisma'), { recursive: true });
  await cp(join(root, 'prisma/migrations'), join(outdir, 'prisma/migrations'), { recursive: true });

  if (linkModules) await linkExternals(outdir, externals);

  return { outputs: names.map((name) => outputFor(ENTRIES[name])), externals: [...externals.keys()].sort() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const linkModules = args.includes('--link-modules');
  const outDir = args.find((arg) => arg.startsWith('--out-dir='))?.slice('--out-dir='.length);
  const requested = args.filter((arg) => !arg.startsWith('--'));
  const unknown = requested.filter((name) => !(name in ENTRIES));
  if (unknown.length) {
    console.error(`unknown entry: ${unknown.join(', ')} (known: ${Object.keys(ENTRIES).join(', ')})`);
    process.exit(1);
  }
  const names = (requested.length ? requested : Object.keys(ENTRIES)) as EntryName[];
  try {
    const { outputs, externals } = await build(names, {
      linkModules,
      ...(outDir ? { target: resolve(outDir) } : {}),
    });
    for (const output of outputs) console.log(`built ${output}`);
    console.log(`external packages (from the production install): ${externals.join(', ')}`);
  } catch (err) {
    console.error(`build failed: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
