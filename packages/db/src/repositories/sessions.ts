import type { Db } from '../db';
import type { Session } from '../generated/client';
import type { Row } from './columns';

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
    const [row] = await this.db.sql.query<Row<'sessions', 'userId' | 'expireTime'> & Row<'accounts', 'admin'>>(
      `SELECT s.user_id, s.expire_time, a.admin
       FROM sessions s JOIN accounts a ON a.id = s.user_id
       WHERE s.id_hash = ?`,
      [idHash],
    );
    return row ? { userId: row.user_id, expireTime: row.expire_time, admin: Boolean(row.admin) } : null;
  }

  async extend(idHash: string, expireTime: Date): Promise<void> {
    await this.db.sql.execute('UPDATE sessions SET expire_time = ? WHERE id_hash = ?', [expireTime, idHash]);
  }
}
