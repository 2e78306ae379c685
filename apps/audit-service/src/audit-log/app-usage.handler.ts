import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { IsIn, IsUUID } from 'class-validator';
import { DataSource } from 'typeorm';
import {
  type AppUsage,
  AuditRpc,
  DomainError,
  RpcErrorCode,
  USAGE_RANGES,
  type UsageRange,
  usageWindow,
} from '#contracts';

class AppUsageQuery {
  @IsUUID()
  account_id: string;

  @IsUUID()
  grant_id: string;

  @IsIn(USAGE_RANGES)
  range: UsageRange;
}

/**
 * A connected app's usage, the counterpart of a key's (PRODUCT.md §7), answered from the audit log: an app's
 * requests are far fewer than a key's, so its `oauth_token.used` rows are read through the client_id index
 * rather than folded into counters on every request.
 */
@Controller()
export class AppUsageHandler {
  constructor(private readonly dataSource: DataSource) {}

  @MessagePattern(AuditRpc.appUsage)
  usage(@Payload() query: AppUsageQuery): Promise<AppUsage> {
    return appUsage(this.dataSource, query, new Date());
  }
}

interface GroupRow {
  action: string;
  status: string | null;
  mcp_tool: string | null;
  failures: number;
  count: number;
}

interface PlaceRow {
  country: string;
  city: string | null;
  count: number;
  first_seen: Date;
  last_seen: Date;
}

interface AddressRow {
  ip: string;
  count: number;
  first_seen: Date;
  last_seen: Date;
}

export async function appUsage(db: DataSource, query: AppUsageQuery, now: Date): Promise<AppUsage> {
  // The grant as it was made (its app), from the account's own events: another account's grant is not found.
  const [grant] = (await db.query(
    `SELECT client_id, data->>'client_name' AS client_name FROM audit_log
      WHERE account_id = $1 AND event_type = 'oauth.grant_created' AND client_id IS NOT NULL AND data->>'grant_id' = $2
      LIMIT 1`,
    [query.account_id, query.grant_id],
  )) as { client_id: string; client_name: string | null }[];
  if (!grant) throw new DomainError(RpcErrorCode.ResourceNotFound, 'no connected app with this id');

  const { hourly, from, end, interval } = usageWindow(query.range, now);
  // The grant's requests in the range: `data` is parsed once a row (json is kept as text).
  const requests = `
    WITH used AS MATERIALIZED (
      SELECT occurred_at, action, outcome, ip, location::jsonb AS location, data::jsonb AS data
        FROM audit_log
       WHERE account_id = $1 AND client_id = $2 AND event_type = 'oauth_token.used' AND occurred_at >= $3
    ), ofGrant AS (SELECT * FROM used WHERE data->>'grant_id' = $4)`;
  const params = [query.account_id, grant.client_id, from, query.grant_id];
  const [groups, series, places, addresses, last] = await Promise.all([
    db.query(
      `${requests}
       SELECT action, data->>'status' AS status, data->>'mcp_tool' AS mcp_tool,
              count(*) FILTER (WHERE outcome = 'failure')::int AS failures, count(*)::int AS count
         FROM ofGrant GROUP BY 1, 2, 3`,
      params,
    ) as Promise<GroupRow[]>,
    db.query(
      `${requests}
       SELECT b.start, count(u.occurred_at)::int AS count
         FROM generate_series($5::timestamptz, $6::timestamptz, $7::interval) AS b(start)
         LEFT JOIN ofGrant u ON date_trunc('${hourly ? 'hour' : 'day'}', u.occurred_at, 'UTC') = b.start
        GROUP BY b.start ORDER BY b.start`,
      [...params, from, end, interval],
    ) as Promise<{ start: Date; count: number }[]>,
    db.query(
      `${requests}
       SELECT location->>'country' AS country, location->>'city' AS city, count(*)::int AS count,
              min(occurred_at) AS first_seen, max(occurred_at) AS last_seen
         FROM ofGrant WHERE location->>'country' IS NOT NULL
        GROUP BY 1, 2 ORDER BY count DESC, country LIMIT 100`,
      params,
    ) as Promise<PlaceRow[]>,
    db.query(
      `${requests}
       SELECT ip, count(*)::int AS count, min(occurred_at) AS first_seen, max(occurred_at) AS last_seen
         FROM ofGrant WHERE ip IS NOT NULL GROUP BY ip ORDER BY count DESC, ip LIMIT 100`,
      params,
    ) as Promise<AddressRow[]>,
    // Last use whatever the range, as a key's `last_used_at` is.
    db.query(
      `SELECT max(occurred_at) AS at FROM audit_log
        WHERE account_id = $1 AND client_id = $2 AND event_type = 'oauth_token.used' AND data->>'grant_id' = $3`,
      [query.account_id, grant.client_id, query.grant_id],
    ) as Promise<{ at: Date | null }[]>,
  ]);

  const byAction: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const byTool: Record<string, number> = {};
  let total = 0;
  let failures = 0;
  for (const row of groups) {
    total += row.count;
    failures += row.failures;
    byAction[row.action] = (byAction[row.action] ?? 0) + row.count;
    if (row.status !== null) byStatus[row.status] = (byStatus[row.status] ?? 0) + row.count;
    if (row.mcp_tool !== null) byTool[row.mcp_tool] = (byTool[row.mcp_tool] ?? 0) + row.count;
  }
  const iso = (value: Date): string => value.toISOString();
  return {
    grant_id: query.grant_id,
    client_id: grant.client_id,
    client_name: grant.client_name ?? '',
    range: query.range,
    request_count: total,
    failure_count: failures,
    last_used_at: last[0]?.at ? iso(last[0].at) : null,
    by_action: byAction,
    by_status: byStatus,
    by_mcp_tool: byTool,
    series: series.map((row) => ({ start: iso(row.start), count: row.count })),
    locations: places.map((row) => ({
      country: row.country,
      city: row.city,
      count: row.count,
      first_seen: iso(row.first_seen),
      last_seen: iso(row.last_seen),
    })),
    ips: addresses.map((row) => ({
      ip: row.ip,
      count: row.count,
      first_seen: iso(row.first_seen),
      last_seen: iso(row.last_seen),
    })),
  };
}
