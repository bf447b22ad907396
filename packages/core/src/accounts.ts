import { createHash, randomBytes } from 'node:crypto';
import type { Account, Repositories, SessionHolder, SettingsState } from '@sms/db';
import { errors } from './errors';
import { newId } from './ids';
import type { FailureBudget } from './budgets';
import { burnPasswordCheck, hashPassword, isCommonPassword, verifyPassword } from './passwords';

export interface AccountView {
  id: string;
  login: string;
  name: string;
  email: string | null;
  admin: boolean;
  create_time: string;
}

export interface SessionView {
  id: string;
  user_id: string;
  user_name: string;
  admin: boolean;
  open_time: string;
  expire_time: string;
}

/** Who is calling, as established from x-session-id. */
export interface Caller {
  userId: string;
  admin: boolean;
}

const SESSION_ID = /^[0-9a-f]{32}$/;
// Sliding expiry is written at most once a minute per session, not on every request.
const EXTEND_EVERY_MS = 60_000;

const hashSessionId = (id: string) => createHash('sha256').update(id).digest('hex');

export const toAccountView = (a: Account): AccountView => ({
  id: a.id,
  login: a.login,
  name: a.name,
  email: a.email,
  admin: a.admin,
  create_time: a.createTime.toISOString(),
});

export class AccountsService {
  constructor(
    private readonly repositories: Pick<Repositories, 'accounts' | 'sessions'>,
    private readonly sessionTtlSeconds: number,
    /** Failed sign-ins per login, from any address (SIGNIN_MAX_FAILED_PER_LOGIN); none: unlimited. */
    private readonly signinFailures?: Pick<FailureBudget, 'reserve' | 'refund'>,
  ) {}

  private get accounts() {
    return this.repositories.accounts;
  }

  private get sessions() {
    return this.repositories.sessions;
  }

  async signup(input: { login: string; name: string; password: string; email?: string }) {
    if (await isCommonPassword(input.password)) throw errors.weakPassword();
    return this.create(input, false);
  }

  // The bootstrap admin's password is the operator's choice, not checked against the list.
  private async create(input: { login: string; name: string; password: string; email?: string }, admin: boolean) {
    const passwordHash = await hashPassword(input.password);
    const account = await this.accounts.create({
      id: newId(),
      login: input.login.toLowerCase(),
      name: input.name,
      email: input.email ?? null,
      passwordHash,
      admin,
    });
    if (!account) throw errors.loginAlreadyUsed();
    return toAccountView(account);
  }

  /** Creates the bootstrap admin if its login is free; an existing account is never touched. */
  async ensureAdmin(login: string, password: string): Promise<'created' | 'exists'> {
    if (await this.accounts.loginExists(login.toLowerCase())) return 'exists';
    try {
      await this.create({ login, name: 'Administrator', password }, true);
      return 'created';
    } catch (err) {
      // Another instance starting at the same moment created it first.
      if (err instanceof Error && 'code' in err && err.code === 'LOGIN_ALREADY_USED') return 'exists';
      throw err;
    }
  }

  /**
   * Opens a session. Each attempt first takes one from the login's failure
   * budget (unknown logins alike, so a 429 reveals nothing) and a success gives
   * it back: guesses are bounded per login however many addresses send them.
   */
  async signin(login: string, password: string): Promise<SessionView> {
    const key = login.toLowerCase();
    const waitMs = (await this.signinFailures?.reserve(key)) ?? 0;
    if (waitMs > 0) throw errors.tooManyRequests(Math.ceil(waitMs / 1000));
    let account: Account | null;
    try {
      account = await this.checkPassword(key, password);
    } catch (err) {
      // The database failing is no wrong password: give the attempt back.
      await this.signinFailures?.refund(key);
      throw err;
    }
    if (!account) throw errors.wrongCredentials();
    await this.signinFailures?.refund(key);

    const id = randomBytes(16).toString('hex');
    const session = await this.sessions.create({
      idHash: hashSessionId(id),
      userId: account.id,
      expireTime: new Date(Date.now() + this.sessionTtlSeconds * 1000),
    });
    return {
      id,
      user_id: account.id,
      user_name: account.name,
      admin: account.admin,
      open_time: session.openTime.toISOString(),
      expire_time: session.expireTime.toISOString(),
    };
  }

  /** The account when the password is right, else null; as slow for unknown logins as for known ones. */
  private async checkPassword(login: string, password: string): Promise<Account | null> {
    const account = await this.accounts.findByLogin(login);
    if (!account) {
      await burnPasswordCheck(password);
      return null;
    }
    return (await verifyPassword(password, account.passwordHash)) ? account : null;
  }

  async signout(sessionId: string): Promise<void> {
    if (!SESSION_ID.test(sessionId)) return;
    await this.sessions.delete(hashSessionId(sessionId));
  }

  /**
   * The caller behind a session id, or null when it is malformed, unknown,
   * expired or closed. On every authenticated request: one round trip, plus
   * a write at most once a minute per session for the sliding expiry.
   */
  async authenticate(sessionId: string | undefined): Promise<Caller | null> {
    if (!sessionId || !SESSION_ID.test(sessionId)) return null;
    const idHash = hashSessionId(sessionId);
    return this.callerOf(idHash, await this.sessions.findHolder(idHash));
  }

  /**
   * As authenticate, with the account `userId`'s settings read in the same
   * round trip (GET's one query): `account` is undefined when there is no such
   * account. Whether the caller may see them is for the settings service.
   */
  async authenticateReading(
    sessionId: string | undefined,
    userId: string,
  ): Promise<{ caller: Caller; account: { settings: SettingsState | null } | undefined } | null> {
    if (!sessionId || !SESSION_ID.test(sessionId)) return null;
    const idHash = hashSessionId(sessionId);
    const found = await this.sessions.findHolderWithSettings(idHash, userId);
    const caller = await this.callerOf(idHash, found?.holder ?? null);
    return caller && { caller, account: found!.account };
  }

  /** The caller of a live session, extending it (sliding expiry); null when there is none or it expired. */
  private async callerOf(idHash: string, session: SessionHolder | null): Promise<Caller | null> {
    const now = Date.now();
    if (!session || session.expireTime.getTime() <= now) return null;
    const ttlMs = this.sessionTtlSeconds * 1000;
    if (session.expireTime.getTime() - now < ttlMs - EXTEND_EVERY_MS) {
      await this.sessions.extend(idHash, new Date(now + ttlMs));
    }
    return { userId: session.userId, admin: session.admin };
  }

  async current(userId: string): Promise<AccountView> {
    const account = await this.accounts.findById(userId);
    if (!account) throw errors.notSigned();
    return toAccountView(account);
  }

  async list(skip: number, take: number): Promise<{ data: AccountView[]; total: number }> {
    const { rows, total } = await this.accounts.page(skip, take);
    return { data: rows.map(toAccountView), total };
  }
}
