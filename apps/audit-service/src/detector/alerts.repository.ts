import type { DataSource, EntityManager } from 'typeorm';
import type { EventStore } from '#event-store';
import type { Alert } from './alert-book';

/** What an `alert.raised` / `alert.updated` event says of its alert. */
export type AlertFacts = Pick<Alert, 'id' | 'account_id' | 'rule' | 'severity' | 'status' | 'count' | 'summary'> & {
  key_id?: string | null;
};

/**
 * Appends the detector's change of an alert to the alert's stream (→ ALERTS, the audit log), in the transaction
 * that stored it. `extra`: facts of this change only (`auto_revoked`).
 */
export async function appendAlertEvent(
  events: EventStore,
  type: 'alert.raised' | 'alert.updated',
  alert: AlertFacts,
  requestId: string,
  manager: EntityManager,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await events.append(
    `alert-${alert.id}`,
    [
      {
        type,
        data: {
          alert_id: alert.id,
          rule: alert.rule,
          severity: alert.severity,
          status: alert.status,
          count: alert.count,
          key_id: alert.key_id ?? null,
          summary: alert.summary,
          ...extra,
        },
      },
    ],
    {
      expectedVersion: 'any',
      meta: { request_id: requestId, account_id: alert.account_id, ...(alert.key_id ? { key_id: alert.key_id } : {}) },
      manager,
    },
  );
}

interface AlertRow extends Omit<Alert, 'first_seen' | 'last_seen' | 'key_id' | 'key_prefix' | 'resolution'> {
  key_id: string | null;
  key_prefix: string | null;
  first_seen: Date;
  last_seen: Date;
  resolution: Alert['resolution'] | null;
}

export function rowToAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    account_id: row.account_id,
    rule: row.rule,
    severity: row.severity,
    status: row.status,
    ...(row.key_id ? { key_id: row.key_id } : {}),
    ...(row.key_prefix ? { key_prefix: row.key_prefix } : {}),
    dedup_key: row.dedup_key,
    summary: row.summary,
    evidence: row.evidence,
    count: row.count,
    first_seen: row.first_seen.toISOString(),
    last_seen: row.last_seen.toISOString(),
    ...(row.resolution ? { resolution: row.resolution } : {}),
  };
}

/** The SQL of each sort the API offers: a fixed list, never text from the request. */
const SORT_COLUMNS = {
  last_seen: 'last_seen',
  first_seen: 'first_seen',
  count: 'count',
  severity: `CASE severity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END`,
} as const;

function orderBy(sortBy: keyof typeof SORT_COLUMNS = 'last_seen', order: 'asc' | 'desc' = 'desc'): string {
  const direction = order === 'asc' ? 'ASC' : 'DESC';
  // Ties: the most recent first, then the id, so that pages never overlap.
  return `${SORT_COLUMNS[sortBy]} ${direction}, last_seen DESC, id`;
}

/**
 * `account_id` matching parameter `$n` (null: the operators' alerts). Spelled for the index on `account_id`:
 * PostgreSQL uses no index for `IS NOT DISTINCT FROM`, which scanned the whole table for every finding. The
 * parameter is still bound when null, so that the numbering of the others stays.
 */
const accountIs = (n: number, accountId: string | null): string =>
  accountId === null ? `account_id IS NULL AND $${n}::uuid IS NULL` : `account_id = $${n}`;

/** Alerts as stored: the latest per (account, dedup key) is the one a finding may fold into. */
export class AlertsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Locked until the detector's batch commits: a resolution committed meanwhile is seen (and the finding opens a
   * new alert) instead of being folded over.
   */
  async latest(accountId: string | null, dedupKey: string, manager: EntityManager): Promise<Alert | undefined> {
    const [row] = (await manager.query(
      `SELECT * FROM alerts WHERE ${accountIs(1, accountId)} AND dedup_key = $2 ORDER BY last_seen DESC LIMIT 1 FOR UPDATE`,
      [accountId, dedupKey],
    )) as AlertRow[];
    return row ? rowToAlert(row) : undefined;
  }

  async save(alert: Alert, manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO alerts (id, account_id, rule, severity, status, key_id, key_prefix, dedup_key, summary, evidence, count, first_seen, last_seen, resolution)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (id) DO UPDATE SET severity = EXCLUDED.severity, summary = EXCLUDED.summary, evidence = EXCLUDED.evidence,
         -- A person's decision stays, but for an acknowledged alert that a worse occurrence opened again.
         status = CASE WHEN alerts.status = 'acknowledged' AND EXCLUDED.status = 'open' THEN 'open' ELSE alerts.status END,
         count = EXCLUDED.count, last_seen = EXCLUDED.last_seen, key_id = EXCLUDED.key_id, key_prefix = EXCLUDED.key_prefix,
         updated_at = now()`,
      [
        alert.id,
        alert.account_id,
        alert.rule,
        alert.severity,
        alert.status,
        alert.key_id ?? null,
        alert.key_prefix ?? null,
        alert.dedup_key,
        alert.summary,
        alert.evidence,
        alert.count,
        alert.first_seen,
        alert.last_seen,
        alert.resolution ?? null,
      ],
    );
  }

  /** A person's decision (acknowledge, resolve): only status and resolution, so an occurrence folded meanwhile stays. */
  async decide(alert: Alert, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE alerts SET status = $2, resolution = $3, updated_at = now() WHERE id = $1`, [
      alert.id,
      alert.status,
      alert.resolution ?? null,
    ]);
  }

  /**
   * Acknowledges an open alert; false when it is no longer open (a resolution that came first stays: the status
   * is checked in the same statement that changes it).
   */
  async acknowledge(id: string, manager: EntityManager): Promise<boolean> {
    const rows = (await manager.query(
      `UPDATE alerts SET status = 'acknowledged', updated_at = now() WHERE id = $1 AND status = 'open' RETURNING id`,
      [id],
    )) as [unknown[], number];
    return rows[1] > 0;
  }

  async find(id: string, manager: EntityManager = this.dataSource.manager): Promise<Alert | undefined> {
    const [row] = (await manager.query(`SELECT * FROM alerts WHERE id = $1`, [id])) as AlertRow[];
    return row ? rowToAlert(row) : undefined;
  }

  async list(
    accountId: string | null,
    filters: {
      status?: string;
      rule?: string;
      key_id?: string;
      sort_by?: keyof typeof SORT_COLUMNS;
      sort_order?: 'asc' | 'desc';
    },
    page: number,
    limit: number,
  ): Promise<{ items: Alert[]; total: number }> {
    const params: unknown[] = [accountId, filters.status ?? null, filters.rule ?? null, filters.key_id ?? null];
    const where = `${accountIs(1, accountId)} AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR rule = $3) AND ($4::uuid IS NULL OR key_id = $4)`;
    const [{ count }] = (await this.dataSource.query(
      `SELECT count(*)::int AS count FROM alerts WHERE ${where}`,
      params,
    )) as { count: number }[];
    const rows = (await this.dataSource.query(
      `SELECT * FROM alerts WHERE ${where} ORDER BY ${orderBy(filters.sort_by, filters.sort_order)} LIMIT $5 OFFSET $6`,
      [...params, limit, (page - 1) * limit],
    )) as AlertRow[];
    return { items: rows.map(rowToAlert), total: count };
  }
}
