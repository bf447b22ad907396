// Facts about the machine and the versions a run measured, for its report.
import { readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ROOT } from '@sms/testing';
import type { Redis } from 'ioredis';
import type { Pool } from 'mariadb';

function versionOf(pkg: string, from: string): string {
  try {
    const dir = realpathSync(join(ROOT, from, 'node_modules', pkg));
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

export async function machineFacts(pool: Pool, redis: Redis): Promise<string[]> {
  const cpus = os.cpus();
  const [db] = await pool.query<{ v: string; flush: string; pool: string }[]>(
    'SELECT VERSION() AS v, @@innodb_flush_log_at_trx_commit AS flush, @@innodb_buffer_pool_size AS pool',
  );
  const redisInfo = await redis.info('server');
  const redisVersion = redisInfo.match(/redis_version:(\S+)/)?.[1] ?? '?';
  return [
    `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}; ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory; ${os.type()} ${os.release()}`,
    `Node ${process.version}; MariaDB ${db!.v} (innodb_flush_log_at_trx_commit=${db!.flush}, buffer pool ${Math.round(Number(db!.pool) / 2 ** 20)} MiB); Redis ${redisVersion}`,
    `fastify ${versionOf('fastify', 'apps/api')}, @prisma/client ${versionOf('@prisma/client', 'packages/db')}, ` +
      `@prisma/adapter-mariadb ${versionOf('@prisma/adapter-mariadb', 'packages/db')}, mariadb ${versionOf('mariadb', 'packages/db')}, ` +
      `bullmq ${versionOf('bullmq', 'apps/worker')}, ioredis ${versionOf('ioredis', 'apps/worker')}, autocannon ${versionOf('autocannon', '.')}`,
    'API, worker, MariaDB, Redis and the load generator (autocannon, in the bench process) share the machine; ' +
      'the CPU table says how much of it other processes took during each row (well above 0: the figures are pessimistic).',
  ];
}
