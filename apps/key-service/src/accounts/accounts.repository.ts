import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  type AccountStatus,
  type AccountView,
  type Page,
  type Tier,
  hourlyLimit,
  normalizedEmail,
  toPage,
} from '#contracts';
import type { AdminListAccountsQuery } from './accounts.dto';

interface AccountRow {
  id: string;
  email: string;
  name: string;
  tier: Tier;
  rate_limit_per_hour: number | null;
  status: AccountStatus;
  created_at: Date;
}

export function toAccountView(row: AccountRow): AccountView & { hourly_limit: number } {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    tier: row.tier,
    rate_limit_per_hour: row.rate_limit_per_hour,
    status: row.status,
    created_at: row.created_at.toISOString(),
    hourly_limit: hourlyLimit(row.tier, row.rate_limit_per_hour),
  };
}

/** Reads of the `accounts` projection. */
@Injectable()
export class AccountsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async findById(id: string, manager: EntityManager = this.dataSource.manager): Promise<AccountRow | undefined> {
    const [row] = (await manager.query(`SELECT * FROM accounts WHERE id = $1`, [id])) as AccountRow[];
    return row;
  }

  async findByEmail(email: string): Promise<(AccountRow & { password_hash: string | null }) | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT a.*, c.password_hash FROM accounts a LEFT JOIN account_credentials c ON c.account_id = a.id WHERE a.email_normalized = $1`,
      [normalizedEmail(email)],
    )) as (AccountRow & { password_hash: string | null })[];
    return row;
  }

  /** The administrator's list: one page, with the count of the whole selection. */
  async list(query: AdminListAccountsQuery): Promise<Page<AccountRow>> {
    const email = query.email ? normalizedEmail(query.email) : null;
    const [{ count }] = (await this.dataSource.query(
      `SELECT count(*)::int AS count FROM accounts WHERE ($1::text IS NULL OR email_normalized = $1)`,
      [email],
    )) as { count: number }[];
    const direction = query.sort_order === 'asc' ? 'ASC' : 'DESC';
    const column = query.sort_by === 'email' ? 'email_normalized' : 'created_at';
    const rows = (await this.dataSource.query(
      `SELECT * FROM accounts WHERE ($1::text IS NULL OR email_normalized = $1)
        ORDER BY ${column} ${direction}, id ${direction} LIMIT $2 OFFSET $3`,
      [email, query.limit, (query.page - 1) * query.limit],
    )) as AccountRow[];
    return toPage(rows, count, query);
  }
}
