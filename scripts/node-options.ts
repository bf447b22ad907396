// The node options the API and the worker run with in production: `pnpm start`
// (scripts/start.ts), and the same in the Dockerfile's NODE_OPTIONS and the
// systemd units (deploy/systemd), which cannot import this file.
//
// --max-semi-space-size=8: V8's young generation grows to 2 × 16 MB under
// load by default; 2 × 8 MB keeps ~40 MB of RSS off the API and the worker
// under the benchmark's load for about one more percent of CPU in the
// scavenger (bench/results.md, "Memory"). It bounds no heap: objects that
// outlive a scavenge move to the old generation as before, and a burst grows
// that as far as it needs.
export const SERVICE_NODE_OPTIONS = ['--enable-source-maps', '--max-semi-space-size=8'] as const;
