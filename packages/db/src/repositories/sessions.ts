import type { Db } from '../db';
import type { Session } from '../generated/client';
import type { Row } from './columns';
import { settingsOf, type JoinedSettings, type SettingsState } from './sms-settings';

/** A live session's holder, as authentication needs it. */
export interface SessionHolder {
  userId: string;
  expireTime: Date;
  admin: boolean;
}

type HolderRow = Row<'sessions', 'userId' | 'expireTime'> & Row<'accounts', 'admin'>;

/** The sessions table, keyed by the hash of the id the client holds. */
export class SessionsRepository {
  constructor(private readonly db: Pick<Db, 'prisma' | 'pool'>) {}

  create(session: Pick<Session, 'idHash' | 'userId' | 'expireTime'>): Promise<Session> {
    return this.db.prisma.session.create({ data: session });
  }

  async delete(idHash: string): Promise<void> {
    await this.db.prisma.session.deleteMany({ where: { idHash } });
  }

  /**
   * The session and its account's admin flag. The requests of one tick share
   * their queries: Prisma sends concurrent findUnique calls of the same shape
   * as one `IN` query.
   */
  async findHolder(idHash: string): Promise<SessionHolder | null> {
    const found = await this.db.prisma.session.findUnique({
      where: { idHash },
      select: { userId: true, expireTime: true, account: { select: { admin: true } } },
    });
    return found && { userId: found.userId, expireTime: found.expireTime, admin: found.account.admin };
  }

  /**
   * findHolder, and the settings of the account `userId` (undefined when there
   * is no such account), in one statement: GET's whole read. Hand-written and
   * run on the driver's pool (see docs/database.md): Prisma's nested reads make
   * it three queries, and through `$queryRaw` Prisma's own work per call costs
   * more than the query; this is the hot path of GET. Values are bound (`?`),
   * never put into the text. The settings are read whoever the holder is; the
   * caller decides whether the holder may see them.
   */
  async findHolderWithSettings(
    idHash: string,
    userId: string,
  ): Promise<{ holder: SessionHolder; account: { settings: SettingsState | null } | undefined } | null> {
    const [row] = await this.db.pool.query<(HolderRow & JoinedSettings & { target_id: string | null })[]>(
      `SELECT s.user_id, s.expire_time, a.admin, t.id AS target_id, st.user_id AS settings_user_id,
        st.phone, st.verified, st.code_hash, st.code_expire_time, st.language
      FROM sessions s JOIN accounts a ON a.id = s.user_id
      LEFT JOIN accounts t ON t.id = ?
      LEFT JOIN sms_settings st ON st.user_id = t.id
      WHERE s.id_hash = ?`,
      [userId, idHash],
    );
    if (!row) return null;
    return {
      holder: { userId: row.user_id, expireTime: row.expire_time, admin: Boolean(row.admin) },
      account: row.target_id === null ? undefined : { settings: settingsOf(row) },
    };
  }

  async extend(idHash: string, expireTime: Date): Promise<void> {
    await this.db.prisma.session.updateMany({ where: { idHash }, data: { expireTime } });
  }
}
