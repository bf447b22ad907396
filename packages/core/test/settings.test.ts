// SmsSettingsService against a real database and Redis: who may read and set
// an account's phone, what setting one sends, and what the answers show.
import t from 'tap';
import { SmsSettingsService } from '../src/settings';
import { createServices, errorOf, newAccount, newPhone, rejection } from './fixture';

const s = await createServices(t, { CODE_TTL_SECONDS: '300' });
const hidden = await createServices(t, { EXPOSE_VERIFICATION_CODE: 'false' });

/** Status and code only: these tests do not look at Retry-After. */
async function statusOf(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  const { status, code } = await errorOf(promise);
  return { status, code };
}

const NOT_OWNER = { status: 403, code: 'NOT_OWNER_OR_ADMIN' };
const NOT_FOUND = { status: 404, code: 'NOT_FOUND' };
const owner = (userId: string) => ({ userId, admin: false });
const ADMIN = { userId: 'f'.repeat(32), admin: true };

t.test('get: the owner and admins see the settings; others get 403, unknown accounts 404', async (t) => {
  const userId = await newAccount(s);
  const empty = { phone: null, verified: false, id: userId, language: null };
  t.same(await s.settings.get(userId, owner(userId)), empty, 'no settings yet');
  t.same(await s.settings.get(userId, ADMIN), empty, 'an admin');
  t.same(await statusOf(s.settings.get(userId, owner(await newAccount(s)))), NOT_OWNER, 'another account');
  t.same(await statusOf(s.settings.get('0'.repeat(32), ADMIN)), NOT_FOUND, 'no such account');
  t.match(await rejection(s.settings.get('0'.repeat(32), ADMIN)), { message: 'no such account' });
  t.same(await statusOf(s.settings.get('0'.repeat(32), owner('1'.repeat(32)))), NOT_OWNER, '403 before 404');

  const phone = newPhone();
  await s.settings.put(userId, { phone }, owner(userId));
  t.same(
    await s.settings.get(userId, owner(userId)),
    { phone, verified: false, id: userId, language: null },
    'pending',
  );
  await s.settings.put(userId, { phone, verified: true }, ADMIN);
  t.same(
    await s.settings.get(userId, owner(userId)),
    { phone, verified: true, id: userId, language: null },
    'verified',
  );
});

t.test('get with the settings read along with the session: the same answers, no second read', async (t) => {
  const userId = await newAccount(s);
  const phone = newPhone();
  const read = {
    userId,
    account: { settings: { phone, verified: true, codeHash: null, codeExpireTime: null, language: null } },
  };
  t.same(await s.settings.get(userId, owner(userId), read), { phone, verified: true, id: userId, language: null });
  t.same(await s.settings.get(userId, ADMIN, read), { phone, verified: true, id: userId, language: null }, 'an admin');
  t.same(await statusOf(s.settings.get(userId, owner(await newAccount(s)), read)), NOT_OWNER);
  t.same(await statusOf(s.settings.get(userId, ADMIN, { userId, account: undefined })), NOT_FOUND);
  t.match(await rejection(s.settings.get(userId, ADMIN, { userId, account: undefined })), {
    message: 'no such account',
  });
  t.same(await s.settings.get(userId, owner(userId), { userId, account: { settings: null } }), {
    phone: null,
    verified: false,
    id: userId,
    language: null,
  });
  // Read for another account than the one asked about: read afresh.
  t.same(await s.settings.get(userId, owner(userId), { ...read, userId: '9'.repeat(32) }), {
    phone: null,
    verified: false,
    id: userId,
    language: null,
  });
});

t.test('put: a new phone gets a pending code, sent, expiring after CODE_TTL_SECONDS', async (t) => {
  const userId = await newAccount(s);
  const phone = newPhone();
  const before = Date.now();
  const answer = await s.settings.put(userId, { phone: phone.replace(/^(\+48)(\d{3})/, '$1 $2 ') }, owner(userId));
  t.match(answer, { phone, verified: false, id: userId, ver_code: /^\d{6}$/ });
  const expires = Date.parse(answer.ver_expire_time!);
  t.ok(expires >= before + 299_000 && expires <= Date.now() + 300_000, 'in five minutes');
  const message = await s.db.prisma.smsMessage.findUniqueOrThrow({ where: { id: s.enqueued.at(-1)! } });
  t.match(message, { userId, recipient: phone, status: 'queued' });
  t.ok(message.body.includes(answer.ver_code!), 'the SMS carries the code answered');
});

t.test('put: the code is in the answer only when EXPOSE_VERIFICATION_CODE is on', async (t) => {
  const userId = await newAccount(hidden);
  const answer = await hidden.settings.put(userId, { phone: newPhone() }, owner(userId));
  t.equal(answer.ver_code, null);
  t.type(answer.ver_expire_time, 'string', 'still pending');
  t.equal(hidden.enqueued.length, 1, 'and sent');
});

t.test('put: the same phone again sends nothing and changes nothing', async (t) => {
  const userId = await newAccount(s);
  const phone = newPhone();
  const first = await s.settings.put(userId, { phone }, owner(userId));
  const sent = s.enqueued.length;
  const again = await s.settings.put(userId, { phone }, owner(userId));
  t.same(again, { ...first, ver_code: null }, 'the pending code, not shown again');
  t.equal(s.enqueued.length, sent, 'no second SMS');
  t.same(await s.settings.put(userId, { phone, verified: false }, owner(userId)), again, 'verified: false alike');

  await s.settings.put(userId, { phone, verified: true }, ADMIN);
  const verified = { phone, verified: true, id: userId, ver_code: null, ver_expire_time: null };
  t.same(await s.settings.put(userId, { phone }, owner(userId)), verified, 'a verified phone stays verified');
  t.same(await s.settings.put(userId, { phone, verified: true }, ADMIN), verified, 'verified twice');
  t.equal(s.enqueued.length, sent);
});

t.test('put: only admins may set verified: true; they send no SMS', async (t) => {
  const userId = await newAccount(s);
  const phone = newPhone();
  t.same(await statusOf(s.settings.put(userId, { phone, verified: true }, owner(userId))), {
    status: 403,
    code: 'FORBIDDEN',
  });
  t.match(await rejection(s.settings.put(userId, { phone, verified: true }, owner(userId))), {
    message: 'only admins may set verified: true',
  });
  const sent = s.enqueued.length;
  t.same(await s.settings.put(userId, { phone, verified: true }, ADMIN), {
    phone,
    verified: true,
    id: userId,
    ver_code: null,
    ver_expire_time: null,
  });
  t.equal(s.enqueued.length, sent);
  // A pending phone, then verified by an admin.
  const other = newPhone();
  await s.settings.put(userId, { phone: other }, ADMIN);
  t.match(await s.settings.put(userId, { phone: other, verified: true }, ADMIN), { verified: true });
});

t.test('put: others than the owner and admins get 403, unknown accounts 404', async (t) => {
  const userId = await newAccount(s);
  t.same(await statusOf(s.settings.put(userId, { phone: newPhone() }, owner(await newAccount(s)))), NOT_OWNER);
  t.same(await statusOf(s.settings.put('0'.repeat(32), { phone: newPhone() }, ADMIN)), NOT_FOUND);
  t.same(await statusOf(s.settings.put(userId, { phone: '12345' }, owner(userId))), {
    status: 400,
    code: 'WRONG_PHONE',
  });
  t.same(await statusOf(s.settings.put(userId, { phone: '+48221234567' }, owner(userId))), {
    status: 400,
    code: 'PHONE_TYPE_NOT_ALLOWED',
  });
});

t.test('put: a phone verified by another account is PHONE_IN_USE, by code or by an admin', async (t) => {
  const holder = await newAccount(s);
  const userId = await newAccount(s);
  const phone = newPhone();
  await s.settings.put(holder, { phone, verified: true }, ADMIN);
  const sent = s.enqueued.length;
  const IN_USE = { status: 409, code: 'PHONE_IN_USE' };
  t.same(await statusOf(s.settings.put(userId, { phone }, owner(userId))), IN_USE, 'asked by its owner');
  t.same(await statusOf(s.settings.put(userId, { phone, verified: true }, ADMIN)), IN_USE, 'set by an admin');
  t.equal(s.enqueued.length, sent, 'no SMS');
  t.same(await s.settings.put(holder, { phone }, owner(holder)), {
    phone,
    verified: true,
    id: holder,
    ver_code: null,
    ver_expire_time: null,
  });
});

t.test('put: the account and the address are limited per hour, PHONE_IN_USE answers included', async (t) => {
  const userId = await newAccount(s);
  const holder = await newAccount(s);
  const taken = newPhone();
  await s.settings.put(holder, { phone: taken, verified: true }, ADMIN);
  // SMS_MAX_PER_ACCOUNT_PER_HOUR is 5: four new phones and one refused as in use.
  for (let i = 0; i < 4; i++) await s.settings.put(userId, { phone: newPhone() }, owner(userId));
  t.same(await statusOf(s.settings.put(userId, { phone: taken }, owner(userId))), {
    status: 409,
    code: 'PHONE_IN_USE',
  });
  t.same(await statusOf(s.settings.put(userId, { phone: newPhone() }, owner(userId))), {
    status: 429,
    code: 'TOO_MANY_REQUESTS',
  });
  t.match(await s.settings.put(userId, { phone: newPhone(), verified: true }, ADMIN), { verified: true }, 'admins');

  const ip = '198.51.100.4';
  for (let i = 0; i < 10; i++) {
    const account = await newAccount(s);
    await s.settings.put(account, { phone: newPhone() }, owner(account), { ip });
  }
  const last = await newAccount(s);
  t.same(await statusOf(s.settings.put(last, { phone: newPhone() }, owner(last), { ip })), {
    status: 429,
    code: 'TOO_MANY_REQUESTS',
  });
});

t.test('put: one phone asked for again within its cooldown is refused', async (t) => {
  const phone = newPhone();
  const first = await newAccount(s);
  const second = await newAccount(s);
  await s.settings.put(first, { phone }, owner(first));
  t.same(await statusOf(s.settings.put(second, { phone }, owner(second))), { status: 429, code: 'TOO_MANY_REQUESTS' });
});

t.test('put: a phone verified by another account between the read and the write is PHONE_IN_USE', async (t) => {
  const holder = await newAccount(s);
  const userId = await newAccount(s);
  const phone = newPhone();
  const real = s.repositories.smsSettings;
  // The read happened before the holder verified the phone.
  const settings = new SmsSettingsService({
    smsSettings: {
      loadForAccount: async (id, holderOf) => ({ ...(await real.loadForAccount(id, holderOf))!, holderUserId: null }),
      setVerified: (...args) => real.setVerified(...args),
    },
    config: s.config,
    codes: s.codes,
    messages: s.messages,
    testNumbers: s.testNumbers,
  });
  await real.setVerified(holder, phone);
  t.same(await statusOf(settings.put(userId, { phone, verified: true }, ADMIN)), { status: 409, code: 'PHONE_IN_USE' });
  t.same(await s.settings.get(userId, ADMIN), { phone: null, verified: false, id: userId, language: null });
});
