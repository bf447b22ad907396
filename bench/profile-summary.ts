// Reads a V8 CPU profile (node --cpu-prof, or `pnpm bench --profile`) and
// prints where the time went: by package and by function, self time.
//
//   node --import tsx bench/profile-summary.ts bench/tmp/profiles/api-*.cpuprofile [top=25]
import { readJsonArgument } from './lib/json-argument';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const { file, data: profile, top } = readJsonArgument<Profile>('bench/profile-summary.ts FILE.cpuprofile [top]', 25);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

/** `node_modules/.pnpm/<pkg>@<v>/node_modules/<pkg>/…` → `<pkg>`; the project's own files by folder. */
function packageOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return 'node core';
  const m = url.match(/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/g);
  if (m) return m.at(-1)!.replace(/^.*node_modules\//, '');
  const own = url.match(/\/(apps\/[^/]+|packages\/[^/]+)\//);
  return own ? own[1]! : url.replace(/^file:\/\//, '');
}

const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const byPackage = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  const { functionName, url, lineNumber } = node.callFrame;
  const pkg = packageOf(url, functionName);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  const key = `${functionName || '(anonymous)'}  ${pkg} ${url.split('/').at(-1) ?? ''}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}
const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${k}`);
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s of samples`);
print('self time by package', byPackage);
print('self time by function', byFunction);
