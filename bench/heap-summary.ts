// Reads a V8 heap snapshot and prints where the live heap goes: by node type,
// by constructor, and the largest strings (module sources are the largest).
// A snapshot of a running process: start it with --heapsnapshot-signal=SIGWINCH
// (`BENCH_NODE_ARGS=--heapsnapshot-signal=SIGWINCH pnpm bench ...` for the API
// and the worker; not SIGUSR2, on which close-with-grace shuts down), send
// `kill -WINCH <pid>`; the file lands in its working
// directory (the repository's root for the bench's processes).
//
//   node --import tsx bench/heap-summary.ts FILE.heapsnapshot [top=20]
import { readJsonArgument } from './lib/json-argument';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

const { file, data: s, top } = readJsonArgument<Snapshot>('bench/heap-summary.ts FILE.heapsnapshot [top]', 20);
const fields = s.snapshot.meta.node_fields;
const types = s.snapshot.meta.node_types[0];
const width = fields.length;
const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
  number,
  number,
  number,
];

const byType = new Map<string, number>();
const byConstructor = new Map<string, number>();
const strings: [number, string][] = [];
let total = 0;
const add = (map: Map<string, number>, key: string, n: number) => map.set(key, (map.get(key) ?? 0) + n);
for (let i = 0; i < s.nodes.length; i += width) {
  const type = types[s.nodes[i + typeAt]!]!;
  const name = s.strings[s.nodes[i + nameAt]!]!;
  const size = s.nodes[i + sizeAt]!;
  total += size;
  add(byType, type, size);
  if (type === 'object' || type === 'closure' || type === 'native')
    add(byConstructor, `${type} ${name.slice(0, 60)}`, size);
  if (type === 'string' && size >= 32_768) strings.push([size, name.slice(0, 80).replace(/\s+/g, ' ')]);
}

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1).padStart(6)} MB`;
const print = (title: string, rows: [string, number][]) => {
  console.log(`\n${title}`);
  for (const [k, n] of rows.sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${mb(n)}  ${k}`);
};
console.log(`${file}: ${mb(total).trim()} live (self sizes; the snapshot collects garbage first)`);
print('by type', [...byType]);
print('by constructor (objects, closures, native)', [...byConstructor]);
print(
  'largest strings (≥ 32 KiB: mostly module sources, kept for Function.prototype.toString)',
  strings.map(([n, t]) => [t, n]),
);
console.log(`  ${mb(strings.reduce((a, [n]) => a + n, 0))}  in ${strings.length} strings of ≥ 32 KiB`);
