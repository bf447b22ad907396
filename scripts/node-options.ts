// The node options the API and the worker run with in production: `pnpm start`
// (scripts/start.ts), and the same in the Dockerfile and the systemd units
// (deploy/systemd), which cannot import this file; the container and unit
// tests check that they agree.
//
// No --enable-source-maps: with it Node parses and keeps the source map of
// every module that has one, node_modules' included (5.4 MB of the idle API's
// heap; its peak RSS in the benchmark's GET row 151-163 MB with it, 142-145
// without: bench/results.md).
// The bundles are readable JavaScript with names kept, so a stack trace's
// dist/ positions are readable too; NODE_OPTIONS=--enable-source-maps gives
// the TypeScript positions from the .map files beside them.
//
// --max-semi-space-size=8: V8's young generation grows to 2 × 16 MB under
// load by default; 2 × 8 MB keeps ~40 MB of RSS off the API and the worker
// under the benchmark's load for about one more percent of CPU in the
// scavenger (bench/results.md, "What changed when"). It bounds no heap: objects that
// outlive a scavenge move to the old generation as before, and a burst grows
// that as far as it needs.
export const SERVICE_NODE_OPTIONS = ['--max-semi-space-size=8'] as const;

// --heap-growing-percent=50: after each full collection V8 lets the old
// generation grow to 1.5 × what survived, instead of up to 4 × under a fast
// allocation rate. Under the benchmark the API's live heap is ~43 MB and V8
// let it reach 150 MB before collecting (peak RSS 224–236 MB); with this,
// 152 MB, and no throughput change measurable (bench/results.md, "What changed
// when").
// It is no cap: the limit is recomputed from the live size after every
// collection, so a burst grows the heap as far as it needs. Node refuses V8
// flags like this one in NODE_OPTIONS, so it goes on the command line, before
// the entry file (the Dockerfile's CMD, the units' ExecStart).
export const SERVICE_V8_FLAGS = ['--heap-growing-percent=50'] as const;

// GLIBC_TUNABLES: where most of the API's memory went (docs/monitoring.md,
// "Memory"). Each password hash (scrypt) takes a 16 MiB buffer on one of
// libuv's threads. glibc's malloc raises its mmap threshold to the size of the
// first such buffer freed, so every later one comes from that thread's arena
// and stays in it when freed: after a few dozen sign-ins the API stayed at
// 250-300 MB of RSS, of which its heap held 50 MB (bare Fastify: 79). A fixed
// threshold (glibc's own default, 128 KiB) turns that raising off, so each
// buffer is mapped for its hash and given back after it; hugetlb=1 asks for
// transparent huge pages for those mappings, so mapping 16 MiB afresh takes a
// few huge-page faults, not 4,096 small ones (without it a hash took 1.9 × the CPU; with it,
// as before). Read by glibc when the process starts, so it goes in the
// environment: `pnpm start`, the bench, the Dockerfile's ENV, the units.
export const SERVICE_ENV = { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=131072' } as const;

/** Both, as the processes get them on the command line (`pnpm start`, the bench). */
export const SERVICE_NODE_ARGS = [...SERVICE_NODE_OPTIONS, ...SERVICE_V8_FLAGS] as const;
