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
// scavenger (bench/results.md, "Changes, and what each saved"). It bounds no heap: objects that
// outlive a scavenge move to the old generation as before, and a burst grows
// that as far as it needs.
export const SERVICE_NODE_OPTIONS = ['--max-semi-space-size=8'] as const;

// --heap-growing-percent=50: after each full collection V8 lets the old
// generation grow to 1.5 × what survived, instead of up to 4 × under a fast
// allocation rate. Under the benchmark the API's live heap is ~43 MB and V8
// let it reach 150 MB before collecting (peak RSS 224–236 MB); with this,
// 152 MB, and no throughput change measurable (bench/results.md, "Second
// evening session").
// It is no cap: the limit is recomputed from the live size after every
// collection, so a burst grows the heap as far as it needs. Node refuses V8
// flags like this one in NODE_OPTIONS, so it goes on the command line, before
// the entry file (the Dockerfile's CMD, the units' ExecStart).
export const SERVICE_V8_FLAGS = ['--heap-growing-percent=50'] as const;

/** Both, as the processes get them on the command line (`pnpm start`, the bench). */
export const SERVICE_NODE_ARGS = [...SERVICE_NODE_OPTIONS, ...SERVICE_V8_FLAGS] as const;
