// What the load generator sends for each HTTP row. The raw-driver anchors
// answer the same paths, so an anchor and its API row share a scenario.
import type { Scenario } from './http';
import { phones, SESSIONS_PER_USER, type Seeded } from './seed';

export function scenarios(data: Seeded) {
  const all = data.users;
  let getN = 0;
  let putN = 0;
  let verifyN = 0;
  // Knuth's multiplicative hash spreads consecutive requests over users and sessions.
  const pick = <T>(list: readonly T[], n: number) => list[(n * 2654435761) % list.length]!;

  const ok = (status: number) => status === 200;
  const scenario = (method: Scenario['method'], next: Scenario['next'], expect: Scenario['expect'] = ok) => ({
    method,
    next,
    expect,
  });

  const get = scenario('GET', () => {
    const user = pick(all, getN++);
    return { path: `/api/v1/sms_settings/${user.id}`, sessionId: user.sessions[getN % SESSIONS_PER_USER] };
  });
  // Every PUT brings a phone the account never had: a new code and an SMS each time.
  const put = scenario('PUT', () => {
    const n = putN++;
    const user = data.putUsers[n % data.putUsers.length]!;
    return { path: `/api/v1/sms_settings/${user.id}`, sessionId: user.sessions[0], body: { phone: phones.put(n) } };
  });
  // Round robin over the pending phones, so each gets the same share of the
  // CODE_MAX_ATTEMPTS (100) wrong guesses; never the seeded code.
  const verify = scenario(
    'POST',
    () => {
      const n = verifyN++;
      const user = data.verifyUsers[n % data.verifyUsers.length]!;
      return {
        path: '/api/v1/sms_settings/verify',
        body: { phone: user.phone, code: String(100_000 + (n % 899_999)) },
      };
    },
    (status, body) => status === 400 && body.includes('"INVALID_CODE"'),
  );
  return { get, put, verify };
}
