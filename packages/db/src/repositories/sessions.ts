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

/** The sessions table, keyed by the hash of the id the client holds. */
export class SessionsRepository {
  constructor(private readonly db: Db) {}

  create(session: Pick<Session, 'idHash' | 'userId' | 'expireTime'>): Promise<Session> {
    return this.db.prisma.session.create({ data: session });
  }

  async delete(idHash: string): Promise<void> {
    await this.db.prisma.session.deleteMany({ where: { idHash } });
  }

  /**
   * The session and its account's admin flag in one round trip (one join;
   * Prisma's nested select makes it two): this runs on every authenticated
   * request.
   */
  async findHolder(idHash: string): Promise<SessionHolder | null> {
    const [row] = await this.db.sql.read<Row<'sessions', 'userId' | 'expireTime'> & Row<'accounts', 'admin'>>(
      `SELECT s.user_id, s.expire_time, a.admin
       FROM sessions s JOIN accounts a ON a.id = s.user_id
       WHERE s.id_hash = ?`,
      [idHash],
    );
    return row ? { userId: row.user_id, expireTime: row.expire_time, admin: Boolean(row.admin) } : null;
  }

  /**
   * findHolder, and the settings of the account `userId` (undefined when there
   * is no such account) in the same statement: the session check and GET's
   * read in one round trip. The settings are read whoever the holder is; the
   * caller decides whether the holder may see them.
   */
  async findHolderWithSettings(
    idHash: string,
    userId: string,
  ): Promise<{ holder: SessionHolder; account: { settings: SettingsState | null } | undefined } | null> {
    const [row] = await this.db.sql.read<
      Row<'sessions', 'userId' | 'expireTime'> &
        Row<'accounts', 'admin'> &
        JoinedSettings & { target_id: string | null }
    >(
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
    await this.db.sql.execute('UPDATE sessions SET expire_time = ? WHERE id_hash = ?', [expireTime, idHash]);
  }
}
