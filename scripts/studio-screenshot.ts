// `pnpm studio:screenshot`: renders Prisma Studio's sms_messages table, with
// realistic rows, to docs/studio.png in Debian's headless Chromium.
//
// 1. creates a scratch database on DATABASE_URL's server (the project's
//    migrator) and seeds it through the generated Prisma client;
// 2. starts `prisma studio` through scripts/prisma.ts (which needs no download
//    from Prisma's servers) on a free port, without opening a browser;
// 3. waits until Studio answers, then runs
//    `chromium --headless --screenshot` on the table view;
// 4. stops Studio and drops the scratch database, whatever happened.
//
// Needs /usr/bin/chromium (Debian: `apt-get install -y chromium`).
// Usage: node --import tsx scripts/studio-screenshot.ts [output.png]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@sms/config';
import { createDb, migrate, parseDatabaseUrl } from '@sms/db';
import { CHROMIUM, CHROMIUM_FLAGS, dropDatabase } from '@sms/testing';

const root = fileURLToPath(new URL('..', import.meta.url));
const output = resolve(root, process.argv[2] ?? 'docs/studio.png');
const STUDIO_START_TIMEOUT_MS = 60_000;

const id = () => randomBytes(16).toString('hex');
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

/** Rows like the ones the service writes: accounts, their settings, the SMS outbox in every state. */
async function seed(databaseUrl: string, secret: string): Promise<void> {
  const { prisma, close } = createDb({ DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: 2 });
  try {
    // The hash of a password nobody knows: these accounts cannot sign in.
    const passwordHash = `scrypt$16384$8$1$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`;
    const codeHash = (code: string) => createHmac('sha256', secret).update(code).digest('hex');
    const people = [
      { login: 'admin', name: 'Operations', admin: true },
      { login: 'olena.k', name: 'Olena Kovalenko', phone: '+380508308443', verified: true },
      { login: 'piotr.n', name: 'Piotr Nowak', phone: '+48601234567', verified: false, code: '482913' },
      { login: 'anna.m', name: 'Anna Müller', phone: '+4915112345678', verified: true },
      { login: 'tomasz.w', name: 'Tomasz Wiśniewski', phone: '+48512987654', verified: false, code: '730164' },
    ].map((p) => ({ ...p, id: id() }));

    for (const [i, p] of people.entries()) {
      await prisma.account.create({
        data: {
          id: p.id,
          login: p.login,
          name: p.name,
          email: `${p.login}@example.com`,
          passwordHash,
          admin: p.admin ?? false,
          createTime: minutesAgo(600 - i * 60),
        },
      });
      if (!p.phone) continue;
      await prisma.smsSettings.create({
        data: {
          userId: p.id,
          phone: p.phone,
          verified: p.verified,
          verifiedPhone: p.verified ? p.phone : null,
          codeHash: p.code ? codeHash(p.code) : null,
          codeExpireTime: p.code ? new Date(Date.now() + 8 * 60_000) : null,
          codeAttempts: p.login === 'tomasz.w' ? 2 : 0,
        },
      });
    }
    const [, olena, piotr, anna, tomasz] = people as [(typeof people)[number], ...(typeof people)[number][]];
    const redacted = 'Your verification code is ••••••';
    const messages = [
      { who: olena!, status: 'sent', attempts: 1, age: 95, provider: true },
      { who: anna!, status: 'sent', attempts: 3, age: 70, provider: true },
      {
        who: tomasz!,
        status: 'failed',
        attempts: 1,
        age: 52,
        lastError: 'MessageBird: HTTP 422, code 21: Bad request (parameter: recipient)',
      },
      { who: olena!, status: 'sent', attempts: 1, age: 31, provider: true },
      {
        who: anna!,
        status: 'failed',
        attempts: 8,
        age: 24,
        lastError: 'MessageBird: HTTP 503, code 99: Internal error',
      },
      {
        who: piotr!,
        status: 'queued',
        attempts: 2,
        age: 6,
        lastError: 'MessageBird: request timed out after 5000 ms',
        body: `Your verification code is ${piotr!.code}`,
      },
      { who: tomasz!, status: 'sending', attempts: 1, age: 1, body: `Your verification code is ${tomasz!.code}` },
      { who: piotr!, status: 'queued', attempts: 0, age: 0.2, body: 'Your verification code is 118406' },
    ] as const;
    for (const m of messages) {
      const createTime = minutesAgo(m.age);
      await prisma.smsMessage.create({
        data: {
          id: id(),
          userId: m.who.id,
          recipient: m.who.phone!,
          body: 'body' in m ? m.body : redacted,
          status: m.status,
          attempts: m.attempts,
          providerMessageId: 'provider' in m ? randomBytes(16).toString('hex') : null,
          lastError: 'lastError' in m ? m.lastError : null,
          leaseExpireTime: m.status === 'sending' ? new Date(Date.now() + 30_000) : null,
          dueTime: m.status === 'queued' && m.attempts ? new Date(Date.now() + 16_000) : createTime,
          createTime,
          sentTime: m.status === 'sent' ? new Date(createTime.getTime() + 1200 * m.attempts) : null,
        },
      });
    }
  } finally {
    await close();
  }
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function waitForHttp(url: string, studio: ChildProcess): Promise<void> {
  const deadline = Date.now() + STUDIO_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (studio.exitCode !== null) throw new Error(`prisma studio exited with code ${studio.exitCode}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`prisma studio did not answer at ${url} within ${STUDIO_START_TIMEOUT_MS} ms`);
}

/** Stops Studio: scripts/prisma.ts runs the Prisma CLI as its child, so the whole process group. */
async function stop(studio: ChildProcess): Promise<void> {
  if (studio.exitCode !== null || studio.signalCode !== null || studio.pid === undefined) return;
  const exited = once(studio, 'exit');
  process.kill(-studio.pid, 'SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  if (spawnSync(CHROMIUM, ['--version']).status !== 0) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium package (apt-get install -y chromium)`);
  }
  const config = loadConfig();
  const url = new URL(config.DATABASE_URL);
  url.pathname = `/sms_studio_demo_${randomBytes(4).toString('hex')}`;
  const databaseUrl = url.toString();
  const { database } = parseDatabaseUrl(databaseUrl);

  let studio: ChildProcess | undefined;
  const profile = mkdtempSync(join(tmpdir(), 'studio-chromium-'));
  try {
    await migrate({ databaseUrl });
    await seed(databaseUrl, config.APP_SECRET);

    const port = await freePort();
    // Its own process group, so that stop() reaches the Prisma CLI under scripts/prisma.ts.
    studio = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/prisma.ts', 'studio', '--port', String(port), '--browser', 'none'],
      {
        cwd: root,
        env: { ...process.env, DATABASE_URL: databaseUrl },
        stdio: ['ignore', 'inherit', 'inherit'],
        detached: true,
      },
    );
    const studioUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(studioUrl, studio);

    // Studio keeps its view in the URL fragment; on MySQL the "schema" is the
    // database. Newest first, and the columns an operator reads pinned to the
    // left (the others follow alphabetically, status far to the right).
    const view = new URLSearchParams({
      schema: database,
      table: 'sms_messages',
      view: 'table',
      sort: 'create_time:desc',
      pin: 'user_id,status,attempts,last_error,recipient',
    });
    const page = `${studioUrl}/#${view.toString().replaceAll('%2C', ',').replaceAll('%3A', ':')}`;
    const shot = spawnSync(
      CHROMIUM,
      [
        ...CHROMIUM_FLAGS,
        `--user-data-dir=${profile}`,
        // Virtual time runs until the page is idle (data loaded) or 15 s pass.
        '--virtual-time-budget=15000',
        '--window-size=1400,900',
        `--screenshot=${output}`,
        page,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    if (shot.status !== 0) throw new Error(`chromium failed (${shot.status}): ${shot.stderr}`);
    const { size } = statSync(output);
    console.log(`wrote ${output} (${size} bytes) from ${page}`);
  } finally {
    if (studio) await stop(studio);
    rmSync(profile, { recursive: true, force: true });
    await dropDatabase(databaseUrl);
  }
}

main().catch((err: unknown) => {
  console.error(`studio screenshot failed: ${(err as Error).message}`);
  process.exitCode = 1;
});
