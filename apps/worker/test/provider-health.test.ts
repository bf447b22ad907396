// The providers' health state machine against the real Redis: a run of
// failures sets a provider aside, one probe after the cool-down, a success
// makes it healthy; two workers (two ProviderHealth on two connections) see
// the same state, and only one of them logs each change.
import { once } from 'node:events';
import { createProducerRedis, queuePrefix } from '@sms/jobs';
import { createTestConfig, waitFor, type Teardown } from '@sms/testing';
import t from 'tap';
import { ProviderHealth, type HealthOptions } from '../src/providers/health';
import { captureLogger } from './helpers';

async function twoWorkers(t: Teardown, options: Partial<HealthOptions> = {}) {
  const config = await createTestConfig(t);
  const { logger, lines } = captureLogger();
  const make = async () => {
    const redis = createProducerRedis(config);
    t.teardown(() => redis.quit());
    // The producer's connection fails fast instead of queueing commands: wait until it is up.
    if (redis.status !== 'ready') await once(redis, 'ready');
    return new ProviderHealth(redis, {
      prefix: queuePrefix(config),
      names: ['bird', 'http'],
      threshold: 3,
      cooldownMs: 400,
      probeLeaseMs: 5000,
      logger,
      ...options,
    });
  };
  return {
    a: await make(),
    b: await make(),
    lines,
    warns: () => lines.filter((l) => l.level === 40).map((l) => String(l.msg)),
  };
}

t.test('healthy: the first provider of the list, nothing written on a success', async (t) => {
  const { a, b } = await twoWorkers(t);
  t.same(await a.choose(), { name: 'bird', probe: false, dirty: false });
  t.same(await a.choose(new Set(['bird'])), { name: 'http', probe: false, dirty: false }, 'the next one when skipped');
  await a.succeeded({ name: 'bird', probe: false, dirty: false });
  t.same(await b.states(), { bird: 'healthy', http: 'healthy' });
});

t.test('threshold failures in a row: unhealthy for the cool-down, one probe, a success recovers', async (t) => {
  const { a, b, warns } = await twoWorkers(t);
  await a.failed('bird', false, 'http_503');
  await b.failed('bird', false, 'http_503');
  t.same((await a.choose()).name, 'bird', 'still healthy below the threshold (failures counted across workers)');
  t.same(await b.choose(), { name: 'bird', probe: false, dirty: true }, 'with failures to forget');
  await a.failed('bird', false, 'timeout');
  t.same(await b.states(), { bird: 'unhealthy', http: 'healthy' }, 'the other worker sees it unhealthy');
  t.equal((await b.choose()).name, 'http', 'messages go to the next provider');
  t.same(warns(), ['SMS provider bird unhealthy (timeout, 3 failure(s) in a row): skipped for 0.4 s, then probed']);

  await waitFor(async () => (await a.states()).bird === 'probing', 5000, 'the cool-down to end');
  const [first, second] = await Promise.all([a.choose(), b.choose()]);
  t.same(
    [first, second].map((c) => c.name).sort(),
    ['bird', 'http'],
    'one worker probes bird, the other still sends through http',
  );
  const probe = [first, second].find((c) => c.name === 'bird')!;
  t.same(probe, { name: 'bird', probe: true, dirty: true });
  await a.succeeded(probe as { name: string; probe: boolean; dirty: boolean });
  t.same(await b.states(), { bird: 'healthy', http: 'healthy' });
  t.same(await b.choose(), { name: 'bird', probe: false, dirty: false }, 'its failures forgotten');
  t.equal(warns().filter((m) => /recovered/.test(m)).length, 1, 'one line when it recovers');
});

t.test('a failed probe sets it aside for another cool-down, without a new line', async (t) => {
  const { a, warns } = await twoWorkers(t);
  for (let i = 0; i < 3; i++) await a.failed('http', false, 'http_500');
  await a.failed('http', false, 'http_500'); // a fourth, in flight before it was set aside
  await waitFor(async () => (await a.states()).http === 'probing', 5000, 'the cool-down to end');
  const probe = await a.choose(new Set(['bird']));
  t.same(probe, { name: 'http', probe: true, dirty: true });
  await a.failed('http', true, 'http_500');
  t.equal((await a.states()).http, 'unhealthy', 'aside again');
  t.equal(warns().length, 1, 'only the first turn logged');
});

t.test('none healthy: how long to wait, and the alert raised by one worker only', async (t) => {
  const { a, b } = await twoWorkers(t, { cooldownMs: 60_000 });
  await a.pause('bird', 2000, 'bad_key');
  for (let i = 0; i < 3; i++) await b.failed('http', false, 'network');
  const choice = await a.choose();
  t.equal(choice.name, null);
  const waitMs = (choice as { waitMs: number }).waitMs;
  t.ok(waitMs > 1000 && waitMs <= 2000, `until the first one may be probed (${waitMs} ms)`);
  t.same(await Promise.all([a.alertNone(), b.alertNone()]).then((r) => r.sort()), [false, true], 'one alert');
});

t.test('a rest (Retry-After) below the threshold: aside that long, then the next message probes', async (t) => {
  const { a } = await twoWorkers(t, { cooldownMs: 60_000 });
  await a.failed('bird', false, 'rate_limited', 300);
  t.equal((await a.states()).bird, 'unhealthy');
  await waitFor(async () => (await a.states()).bird === 'probing', 5000, 'the rest to end');
  const probe = await a.choose();
  t.same(probe, { name: 'bird', probe: true, dirty: true });
  await a.failed('bird', true, 'rate_limited');
  t.equal((await a.states()).bird, 'probing', 'below the threshold, a failed probe sets no cool-down');
  t.same((await a.choose()).name, 'bird', 'the next message probes it');
});

t.test('an operator pause is never shortened by a shorter rest', async (t) => {
  const { a } = await twoWorkers(t);
  await a.pause('bird', 60_000, 'no_balance');
  await a.failed('bird', false, 'rate_limited', 10);
  t.equal((await a.states()).bird, 'unhealthy');
});
