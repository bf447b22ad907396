// What the VerificationService tests share: a test file's services with the
// code limits they count against, and a phone owner's view of them.
import type { Teardown } from '@sms/testing';
import { createServices, newAccount, newPhone, to, type Services } from './fixture';

export const INVALID_CODE = { status: 400, code: 'INVALID_CODE' };

/** The services of a test file: 3 attempts a code, 6 wrong codes a phone a day; and the helpers on them. */
export async function verificationServices(t: Teardown) {
  const s = await createServices(t, { CODE_MAX_ATTEMPTS: '3', CODE_MAX_FAILED_PER_PHONE_PER_DAY: '6' });

  /** An account with a pending code sent to `phone`; returns the account and the code. */
  async function pending(phone = newPhone(), services: Services = s): Promise<{ userId: string; code: string }> {
    const userId = await newAccount(services);
    const { code } = await services.codes.send(userId, to(phone));
    return { userId, code };
  }

  async function verifiedOf(userId: string) {
    return (await s.repositories.smsSettings.loadForAccount(userId))?.settings;
  }

  return { s, pending, verifiedOf };
}
