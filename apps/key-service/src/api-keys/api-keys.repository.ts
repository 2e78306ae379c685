import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  toPage,
  type ApiKeyView,
  type Integration,
  type KeyStatus,
  type Page,
  type RevokeReason,
  type VerifiedKey,
} from '#contracts';
import { toAccountView } from '../accounts/accounts.repository';
import type { ListKeysQuery } from './api-keys.dto';

const ROTATION_DUE_AFTER_MS = 90 * 24 * 3600 * 1000;

interface ApiKeyRow {
  id: string;
  account_id: string;
  name: string;
  key_prefix: string;
  integrations: Integration[];
  is_legacy: boolean;
  migration_notes: string | null;
  status: KeyStatus;
  created_at: Date;
  updated_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_reason: RevokeReason | null;
  replaced_by: string | null;
  revoke_at: Date | null;
  last_used_at: Date | null;
  request_count: string;
  last_used_ip: string | null;
  last_used_location: { country: string; city: string | null } | null;
  last_tool_type: string | null;
}

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

export function toApiKeyView(row: ApiKeyRow, now: Date): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    key_prefix: row.key_prefix,
    integrations: row.integrations,
    is_legacy: row.is_legacy,
    migration_notes: row.migration_notes,
    status: row.status,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    last_used_at: iso(row.last_used_at),
    request_count: Number(row.request_count),
    last_used_ip: row.last_used_ip,
    last_used_location: row.last_used_location,
    last_tool_type: row.last_tool_type,
    expires_at: iso(row.expires_at),
    revoked_at: iso(row.revoked_at),
    revoked_reason: row.revoked_reason,
    rotation_due: row.status === 'active' && now.getTime() - row.created_at.getTime() > ROTATION_DUE_AFTER_MS,
    replaced_by: row.replaced_by,
    revokes_at: row.status === 'active' ? iso(row.revoke_at) : null,
  };
}

const SORT_COLUMNS: Record<ListKeysQuery['sort_by'], string> = {
  created_at: 'created_at',
  last_used_at: 'last_used_at',
  name: 'lower(name)',
};

/** Reads of the `api_keys` projection and the hash index. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The verify hot path: one indexed lookup joining key and account. */
  async verify(keyHash: string): Promise<VerifiedKey | null> {
    const [row] = (await this.dataSource.query(
      `SELECT k.id AS key_id, k.name AS key_name, k.key_prefix, k.integrations, k.status AS key_status, k.revoked_reason, k.expires_at, k.revoke_at, k.is_legacy, a.*
         FROM api_key_hashes h
         JOIN api_keys k ON k.id = h.key_id
         JOIN accounts a ON a.id = k.account_id
        WHERE h.key_hash = $1`,
      [keyHash],
    )) as (Parameters<typeof toAccountView>[0] & {
      key_id: string;
      key_name: string;
      key_prefix: string;
      integrations: Integration[];
      key_status: KeyStatus;
      revoked_reason: RevokeReason | null;
      expires_at: Date | null;
      revoke_at: Date | null;
      is_legacy: boolean;
    })[];
    if (!row) return null;
    return {
      key: {
        id: row.key_id,
        name: row.key_name,
        key_prefix: row.key_prefix,
        integrations: row.integrations,
        status: row.key_status,
        revoked_reason: row.revoked_reason,
        expires_at: iso(row.expires_at),
        revoke_at: iso(row.revoke_at),
        is_legacy: row.is_legacy,
      },
      account: toAccountView(row),
    };
  }

  /** The key and account of each of these hashes that is stored (a legacy import's lines, read at once). */
  async ownersOfHashes(
    keyHashes: string[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<Map<string, { keyId: string; accountId: string }>> {
    const rows = (await manager.query(
      `SELECT h.key_hash, h.key_id, k.account_id FROM api_key_hashes h JOIN api_keys k ON k.id = h.key_id
        WHERE h.key_hash = ANY($1::text[])`,
      [keyHashes],
    )) as { key_hash: string; key_id: string; account_id: string }[];
    return new Map(rows.map((row) => [row.key_hash, { keyId: row.key_id, accountId: row.account_id }]));
  }

  async keyIdForHash(keyHash: string, manager: EntityManager = this.dataSource.manager): Promise<string | undefined> {
    const [row] = (await manager.query(`SELECT key_id FROM api_key_hashes WHERE key_hash = $1`, [keyHash])) as {
      key_id: string;
    }[];
    return row?.key_id;
  }

  async findOwned(
    accountId: string,
    keyId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<ApiKeyRow | undefined> {
    const [row] = (await manager.query(`SELECT * FROM api_keys WHERE id = $1 AND account_id = $2`, [
      keyId,
      accountId,
    ])) as ApiKeyRow[];
    return row;
  }

  async findById(keyId: string): Promise<ApiKeyRow | undefined> {
    const [row] = (await this.dataSource.query(`SELECT * FROM api_keys WHERE id = $1`, [keyId])) as ApiKeyRow[];
    return row;
  }

  async list(query: ListKeysQuery, now: Date): Promise<Page<ApiKeyView>> {
    const status = query.status === 'all' ? null : query.status;
    // strpos rather than LIKE: the text is matched as typed, `%` and `_` included.
    const selection = `account_id = $1 AND ($2::text IS NULL OR status = $2)
      AND ($3::text IS NULL OR strpos(lower(name), lower($3)) > 0 OR strpos(lower(key_prefix), lower($3)) = 1)`;
    const search = query.search ?? null;
    const [{ count }] = (await this.dataSource.query(`SELECT count(*)::int AS count FROM api_keys WHERE ${selection}`, [
      query.account_id,
      status,
      search,
    ])) as { count: number }[];
    const direction = query.sort_order === 'asc' ? 'ASC' : 'DESC';
    const rows = (await this.dataSource.query(
      `SELECT * FROM api_keys WHERE ${selection}
        ORDER BY ${SORT_COLUMNS[query.sort_by]} ${direction} NULLS LAST, id ${direction}
        LIMIT $4 OFFSET $5`,
      [query.account_id, status, search, query.limit, (query.page - 1) * query.limit],
    )) as ApiKeyRow[];
    return toPage(
      rows.map((row) => toApiKeyView(row, now)),
      count,
      query,
    );
  }

  /** Keys whose grace period ended or that expired, for the scheduler. */
  async due(now: Date, limit = 100): Promise<string[]> {
    const rows = (await this.dataSource.query(
      `SELECT id FROM api_keys WHERE status = 'active' AND (revoke_at <= $1 OR expires_at <= $1) ORDER BY least(revoke_at, expires_at) LIMIT $2`,
      [now, limit],
    )) as { id: string }[];
    return rows.map((row) => row.id);
  }
}
