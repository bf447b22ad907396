import type { FastifyInstance } from 'fastify';

/** Limits raised so that only the tests about limits meet them. */
export const roomy = {
  IP_RATE_LIMIT_PER_MINUTE: '100000',
  SMS_RESEND_COOLDOWN_SECONDS: '0',
  SMS_MAX_PER_PHONE_PER_HOUR: '1000',
  SMS_MAX_PER_ACCOUNT_PER_HOUR: '1000',
  SMS_MAX_PER_IP_PER_HOUR: '1000',
  CODE_MAX_FAILED_PER_PHONE_PER_DAY: '1000',
};

/** The code inside the newest SMS queued for `phone` (what the user would read). */
export async function lastCode(app: FastifyInstance, phone: string): Promise<string> {
  await app.verification.settled(); // a resend stores and sends its code after answering
  const message = await app.prisma.smsMessage.findFirstOrThrow({
    where: { recipient: phone },
    orderBy: [{ createTime: 'desc' }],
  });
  const code = /(\d{4,10})/.exec(message.body)?.[1];
  if (!code) throw new Error(`no code in ${message.body}`);
  return code;
}

export function putPhone(app: FastifyInstance, sessionId: string, userId: string, payload: Record<string, unknown>) {
  return app.inject({
    method: 'PUT',
    url: `/api/v1/sms_settings/${userId}`,
    headers: { 'x-session-id': sessionId },
    payload,
  });
}

export function getSettings(app: FastifyInstance, sessionId: string, userId: string) {
  return app.inject({ method: 'GET', url: `/api/v1/sms_settings/${userId}`, headers: { 'x-session-id': sessionId } });
}

export const verify = (app: FastifyInstance, phone: string, code: string) =>
  app.inject({ method: 'POST', url: '/api/v1/sms_settings/verify', payload: { phone, code } });

/** Verify with a session: only the code sent for that account can match. */
export const verifyAs = (app: FastifyInstance, sessionId: string, phone: string, code: string) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/sms_settings/verify',
    headers: { 'x-session-id': sessionId },
    payload: { phone, code },
  });

export const resend = (app: FastifyInstance, phone: string) =>
  app.inject({ method: 'POST', url: '/api/v1/sms_settings/resend', payload: { phone } });

/** Numbers valid for libphonenumber, unique per call (Ukrainian mobile range). */
let next = 0;
export function freshPhone(): string {
  next += 1;
  return `+38050${String((process.pid * 1000 + next) % 10_000_000).padStart(7, '0')}`;
}
