// What a run is: the command-line flags, the BENCH_* variables and the names of
// the scratch database, Redis prefix and log folder it owns.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ROOT } from '@sms/testing';

const args = new Set(process.argv.slice(2));
export const quick = args.has('--quick');
export const profile = args.has('--profile');
export const env = process.env;
export const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 50);
export const DURATION = Number(env.BENCH_DURATION ?? (quick ? 3 : 10));
export const WARMUP = quick ? 1 : 3;
export const MESSAGES = Number(env.BENCH_MESSAGES ?? (quick ? 2000 : 10_000));
export const PACED_RATE = 500;
export const LATENCY_MS = 50;
export const CONCURRENCY = Number(env.WORKER_CONCURRENCY ?? 50);
export const LOG_LEVEL = env.BENCH_LOG_LEVEL ?? 'warn';
/** Extra node options for the API and worker processes (experiments: heap sizes, flags). */
export const SERVICE_NODE_ARGS = (env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
export const SESSION_TTL_SECONDS = 86400;
export const APP_SECRET = `bench-${randomBytes(24).toString('hex')}`;

const serverUrl = env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/sms_settings';
export const REDIS_URL = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const runId = `${process.pid}_${randomBytes(3).toString('hex')}`;
const dbUrl = new URL(serverUrl);
dbUrl.pathname = `/sms_bench_${runId}`;
export const DATABASE_NAME = dbUrl.pathname.slice(1);
export const DATABASE_URL = dbUrl.toString();
export const PREFIX = `bench_${runId}`;
export const logDir = mkdtempSync(join(os.tmpdir(), 'sms-bench-'));
export const profileDir = join(ROOT, 'bench/tmp/profiles');

export const PHASES = ['baseline', 'get', 'put', 'verify', 'paced', 'worker', 'cluster'] as const;
export type Phase = (typeof PHASES)[number];
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = new Set((onlyArg ? onlyArg.slice('--only='.length).split(',') : PHASES) as Phase[]);
export const partial = only.size < PHASES.length;
export const runs = (phase: Phase) => only.has(phase);

export const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
