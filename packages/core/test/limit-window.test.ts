// The send limiter's database fallback: how long a phone waits, from the
// creation times of its recent SMS.
import t from 'tap';
import { HOUR_MS, waitFromHistory } from '../src/limit-window';

const now = Date.parse('2026-05-01T12:00:00Z');
const ago = (ms: number) => new Date(now - ms);
const limits = { cooldownMs: 60_000, maxPerHour: 3 };

t.test('no SMS in the past hour: it may go now', async (t) => {
  t.equal(waitFromHistory([], now, limits), 0);
});

t.test('cooldown: the rest of it after the newest SMS', async (t) => {
  t.equal(waitFromHistory([ago(10_000)], now, limits), 50_000);
  t.equal(waitFromHistory([ago(60_000)], now, limits), 0, 'over exactly at its end');
  t.equal(waitFromHistory([ago(90_000)], now, limits), 0, 'long over');
  t.equal(waitFromHistory([ago(10_000)], now, { ...limits, cooldownMs: 0 }), 0, 'no cooldown configured');
});

t.test('hourly cap: until the oldest of a full hour leaves it', async (t) => {
  const full = [ago(120_000), ago(30 * 60_000), ago(50 * 60_000)];
  t.equal(waitFromHistory(full, now, limits), HOUR_MS - 50 * 60_000);
  t.equal(waitFromHistory(full.slice(0, 2), now, limits), 0, 'below the cap');
});

t.test('both: the longer wait wins', async (t) => {
  const full = [ago(1000), ago(2000), ago(HOUR_MS - 5000)];
  t.equal(waitFromHistory(full, now, limits), 59_000, 'cooldown longer than the cap');
  t.equal(waitFromHistory(full, now, { ...limits, cooldownMs: 3000 }), 5000, 'cap longer than the cooldown');
});
