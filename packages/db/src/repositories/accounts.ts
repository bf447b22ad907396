import type { Db } from '../db';
import { isUniqueViolation } from '../errors';
import type { Account } from '../generated/client';

export type NewAccount = Pick<Account, 'id' | 'login' | 'name' | 'email' | 'passwordHash' | 'admin'>;

/** The accounts table. Logins are stored as given: callers lower-case them. */
export class AccountsRepository {
  constructor(private readonly db: Pick<Db, 'prisma'>) {}

  /** The new account, or null when its login is taken (accounts_login_key). */
  async create(account: NewAccount): Promise<Account | null> {
    try {
      return await this.db.prisma.account.create({ data: account });
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }

  async loginExists(login: string): Promise<boolean> {
    const found = await this.db.prisma.account.findUnique({ where: { login }, select: { id: true } });
    return found !== null;
  }

  findByLogin(login: string): Promise<Account | null> {
    return this.db.prisma.account.findUnique({ where: { login } });
  }

  findById(id: string): Promise<Account | null> {
    return this.db.prisma.account.findUnique({ where: { id } });
  }

  /** One page in creation order, and the number of accounts. */
  async page(skip: number, take: number): Promise<{ rows: Account[]; total: number }> {
    const [rows, total] = await Promise.all([
      this.db.prisma.account.findMany({ skip, take, orderBy: [{ createTime: 'asc' }, { id: 'asc' }] }),
      this.db.prisma.account.count(),
    ]);
    return { rows, total };
  }
}
