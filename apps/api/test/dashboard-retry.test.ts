// Bull Board's "Retry", through its own HTTP API: a retry either really puts
// the message back to be sent (fresh attempts, in the job and the row) or is
// refused with an answer the operator sees. Before, it put every job back as
// it was, and a failed message's job then ended COMPLETED with nothing sent.
import { randomBytes } from 'node:crypto';
import { createWorkerRedis, jobIdFor, queuePrefix, SMS_QUEUE } from '@sms/jobs';
import { UnrecoverableError, Worker } from 'bullmq';
import t from 'tap';
import { body, buildTestApp, makeAdmin, newUser } from './helpers';

t.test('dashboard retries agree with the rows', async (t) => {
  const { app, config } = await buildTestApp(t, { IP_RATE_LIMIT_PER_MINUTE: '1000' });
  const admin = await newUser(app);
  await makeAdmin(app, admin.userId);
  const headers = { 'x-session-id': admin.sessionId };

  // Takes jobs by hand, as a worker would, to finish them as a test needs.
  const connection = createWorkerRedis(config);
  const hands = new Worker(SMS_QUEUE, null, { connection, prefix: queuePrefix(config), autorun: false });
  t.teardown(async () => {
    await hands.close();
    connection.disconnect();
  });

  /** A message row in `status` whose job ended `jobState`, as the worker leaves them. */
  async function message(status: 'queued' | 'sent' | 'failed', jobState: 'failed' | 'completed', attempts = 3) {
    const id = randomBytes(16).toString('hex');
    await app.prisma.smsMessage.create({
      data: { id, recipient: '+380671234567', body: 'Your verification code is ••••••', status, attempts },
    });
    await app.enqueueSms([id]);
    const token = randomBytes(8).toString('hex');
    const job = await hands.getNextJob(token);
    if (job?.id !== jobIdFor(id)) throw new Error(`took ${job?.id}, not the job of ${id}`);
    if (jobState === 'failed') await job.moveToFailed(new UnrecoverableError('provider said no'), token);
    else await job.moveToCompleted(undefined, token);
    return id;
  }
  const retryOne = (id: string) =>
    app.inject({ method: 'PUT', url: `/admin/queues/api/queues/${SMS_QUEUE}/${jobIdFor(id)}/retry`, headers });
  const jobOf = async (id: string) => {
    const job = await app.smsQueue.getJob(jobIdFor(id));
    return { state: await job?.getState(), attemptsMade: job?.attemptsMade };
  };
  const rowOf = (id: string) =>
    app.prisma.smsMessage.findUniqueOrThrow({ where: { id }, select: { status: true, attempts: true } });

  await t.test('a failed message: refused, the job stays failed and the row failed', async (t) => {
    const id = await message('failed', 'failed');
    const res = await retryOne(id);
    t.equal(res.statusCode, 409);
    t.equal(body(res).code, 'RETRY_REFUSED');
    t.match(body(res).message, /failed.*request a new code/);
    t.equal((await jobOf(id)).state, 'failed');
    t.same(await rowOf(id), { status: 'failed', attempts: 3 });
  });

  await t.test('a sent message: refused, the job stays completed', async (t) => {
    const id = await message('sent', 'completed');
    const res = await retryOne(id);
    t.equal(res.statusCode, 409);
    t.match(body(res), { code: 'RETRY_REFUSED', message: /sent already/ });
    t.equal((await jobOf(id)).state, 'completed');
  });

  await t.test('a message still to be sent: retried with fresh attempts in the job and the row', async (t) => {
    const id = await message('queued', 'failed');
    const res = await retryOne(id);
    t.equal(res.statusCode, 204);
    t.same(await jobOf(id), { state: 'waiting', attemptsMade: 0 });
    t.same(await rowOf(id), { status: 'queued', attempts: 0 });
    // Out of the way of the next test's hand-taken jobs.
    await (await app.smsQueue.getJob(jobIdFor(id)))?.remove();
  });

  await t.test('retry all failed: the ones to send go, the others are refused and counted', async (t) => {
    const gone = await message('failed', 'failed');
    const toSend = await message('queued', 'failed');
    const res = await app.inject({
      method: 'PUT',
      url: `/admin/queues/api/queues/${SMS_QUEUE}/retry/failed`,
      headers,
    });
    t.equal(res.statusCode, 409);
    t.match(body(res), { code: 'RETRY_REFUSED', message: /^1 retried, 2 not retried \(2: its SMS failed/ });
    t.equal((await jobOf(gone)).state, 'failed');
    t.equal((await jobOf(toSend)).state, 'waiting');
  });

  await t.test('only admins reach it', async (t) => {
    const user = await newUser(app);
    const res = await app.inject({
      method: 'PUT',
      url: `/admin/queues/api/queues/${SMS_QUEUE}/retry/failed`,
      headers: { 'x-session-id': user.sessionId },
    });
    t.equal(res.statusCode, 403);
  });
});
