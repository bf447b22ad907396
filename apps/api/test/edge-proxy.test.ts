// TRUST_PROXY: which X-Forwarded-For entry is the client the per-IP limits
// count. A client writes whatever it likes at the left of the header; only the
// entries the trusted proxies appended may be believed.
import { ConfigError, loadConfig } from '@sms/config';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { buildTestApp } from './helpers';

const LIMIT = 3;
let counter = 0;

/** A signup (an endpoint with the per-IP limit) arriving with this X-Forwarded-For. */
function signup(app: FastifyInstance, forwardedFor?: string) {
  const login = `proxy${process.pid}x${++counter}`;
  return app.inject({
    method: 'POST',
    url: '/api/v1/signup',
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
    payload: { login, name: login, password: 'correct horse battery staple' },
  });
}

/** Statuses of `n` signups, each with a different spoofed left-most entry. */
async function spoofed(app: FastifyInstance, n: number, appended?: string) {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const header = appended ? `203.0.113.${i + 1}, ${appended}` : `203.0.113.${i + 1}`;
    statuses.push((await signup(app, header)).statusCode);
  }
  return statuses;
}

const limited = [201, 201, 201, 429, 429];

t.test('TRUST_PROXY=true is refused at start, saying what to set instead', async (t) => {
  t.throws(() => loadConfig({ TRUST_PROXY: 'true' }), ConfigError);
  t.throws(() => loadConfig({ TRUST_PROXY: 'true' }), {
    message: /^Invalid configuration: TRUST_PROXY=true is refused.*TRUST_PROXY=1.*TRUST_PROXY=10\.0\.0\.0\/8/,
  });
  t.throws(() => loadConfig({ TRUST_PROXY: '10.0.0.300' }), { message: /TRUST_PROXY/ });
  t.throws(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' }), { message: /TRUST_PROXY/ });
  t.throws(() => loadConfig({ TRUST_PROXY: 'yes' }), { message: /^Invalid configuration: TRUST_PROXY / });
  t.equal(loadConfig({}).TRUST_PROXY, false);
  t.equal(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY, 2);
  t.same(loadConfig({ TRUST_PROXY: '10.0.0.0/8, ::1' }).TRUST_PROXY, ['10.0.0.0/8', '::1']);
});

t.test('a hop count: the proxy-appended entry is the client, spoofed entries to its left are ignored', async (t) => {
  const { app } = await buildTestApp(t, { TRUST_PROXY: '1', IP_RATE_LIMIT_PER_MINUTE: String(LIMIT) });
  t.same(await spoofed(app, 5, '198.51.100.7'), limited, 'one client, however many spoofed entries');
  t.equal((await signup(app, '198.51.100.8')).statusCode, 201, 'another client behind the proxy has its own budget');
});

t.test('a list of proxy addresses: the same, and a spoofed header from elsewhere is not believed', async (t) => {
  const { app } = await buildTestApp(t, { TRUST_PROXY: '127.0.0.0/8', IP_RATE_LIMIT_PER_MINUTE: String(LIMIT) });
  t.same(await spoofed(app, 5, '198.51.100.7'), limited);
  t.equal((await signup(app, '198.51.100.8')).statusCode, 201);
  const direct = await app.inject({
    method: 'POST',
    url: '/api/v1/signup',
    remoteAddress: '192.0.2.50', // not a trusted proxy: its header is the client's own writing
    headers: { 'x-forwarded-for': '198.51.100.7' }, // the client whose budget is spent
    payload: { login: `proxy${process.pid}direct`, name: 'd', password: 'correct horse battery staple' },
  });
  t.equal(direct.statusCode, 201, 'counted under its own address, not the spent one it named');
});

t.test('no TRUST_PROXY: X-Forwarded-For is ignored and the socket address is counted', async (t) => {
  const { app } = await buildTestApp(t, { IP_RATE_LIMIT_PER_MINUTE: String(LIMIT) });
  t.same(await spoofed(app, 5), limited);
});
