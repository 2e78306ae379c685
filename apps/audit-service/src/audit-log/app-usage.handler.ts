import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { IsIn, IsUUID } from 'class-validator';
import { DataSource } from 'typeorm';
import { type AppUsage, AuditRpc, USAGE_RANGES, type UsageRange, usageWindow } from '#contracts';

class AppUsageQuery {
  @IsUUID()
  account_id: string;

  /** The gateway names the grant and its app as key-service knows them (lowercase ids). */
  @IsUUID()
  grant_id: string;

  @IsUUID()
  client_id: string;

  @IsIn(USAGE_RANGES)
  range: UsageRange;
}

/** What audit-service knows of an app's usage; the gateway adds the app's name from key-service. */
export type AppUsageCounts = Omit<AppUsage, 'client_name'>;

/**
 * A connected app's usage, the counterpart of a key's (PRODUCT.md §7), answered from the audit log: an app's
 * requests are far fewer than a key's, so its `oauth_token.used` rows are read through the client_id index
 * rather than folded into counters on every request.
 */
@Controller()
export class AppUsageHandler {
  constructor(private readonly dataSource: DataSource) {}

  @MessagePattern(AuditRpc.appUsage)
  usage(@Payload() query: AppUsageQuery): Promise<AppUsageCounts> {
    return appUsage(this.dataSource, query, new Date());
  }
}

/** An app's requests over 90 days are a few thousand rows, usually; this bounds the unusual one. */
const STATEMENT_TIMEOUT = '5s';

interface Breakdown {
  action: string;
  status: string | null;
  mcp_tool: string | null;
  failures: number;
  count: number;
}

interface Dated {
  count: number;
  first_seen: string;
  last_seen: string;
}

interface UsageRow {
  breakdowns: Breakdown[] | null;
  series: { start: string; count: number }[];
  places: ({ country: string; city: string | null } & Dated)[] | null;
  addresses: ({ ip: string } & Dated)[] | null;
  last_used_at: Date | null;
}

export async function appUsage(db: DataSource, query: AppUsageQuery, now: Date): Promise<AppUsageCounts> {
  const { hourly, from, end, interval } = usageWindow(query.range, now);
  // One statement on one connection: the grant's requests in the range are read (and their json parsed) once,
  // in the materialized `used`, and every breakdown is made from it.
  const row = await db.transaction(async (manager) => {
    await manager.query(`SET LOCAL statement_timeout = '${STATEMENT_TIMEOUT}'`);
    const [answer] = (await manager.query(
      `WITH used AS MATERIALIZED (
         SELECT occurred_at, action, outcome, ip, d.data->>'status' AS status, d.data->>'mcp_tool' AS mcp_tool,
                location::jsonb->>'country' AS country, location::jsonb->>'city' AS city
           FROM audit_log, LATERAL (SELECT data::jsonb AS data) d
          WHERE account_id = $1 AND client_id = $2 AND event_type = 'oauth_token.used' AND occurred_at >= $3
            AND d.data->>'grant_id' = $4
       )
       SELECT
         (SELECT json_agg(b) FROM (
            SELECT action, status, mcp_tool, count(*) FILTER (WHERE outcome = 'failure')::int AS failures,
                   count(*)::int AS count
              FROM used GROUP BY 1, 2, 3) b) AS breakdowns,
         (SELECT json_agg(json_build_object('start', s.start, 'count', s.count) ORDER BY s.start) FROM (
            SELECT b.start, count(u.occurred_at)::int AS count
              FROM generate_series($5::timestamptz, $6::timestamptz, $7::interval) AS b(start)
              LEFT JOIN used u ON date_trunc('${hourly ? 'hour' : 'day'}', u.occurred_at, 'UTC') = b.start
             GROUP BY b.start) s) AS series,
         (SELECT json_agg(p ORDER BY p.count DESC, p.country) FROM (
            SELECT country, city, count(*)::int AS count, min(occurred_at) AS first_seen, max(occurred_at) AS last_seen
              FROM used WHERE country IS NOT NULL GROUP BY 1, 2 ORDER BY count DESC, country LIMIT 100) p) AS places,
         (SELECT json_agg(a ORDER BY a.count DESC, a.ip) FROM (
            SELECT ip, count(*)::int AS count, min(occurred_at) AS first_seen, max(occurred_at) AS last_seen
              FROM used WHERE ip IS NOT NULL GROUP BY ip ORDER BY count DESC, ip LIMIT 100) a) AS addresses,
         -- Last use whatever the range, as a key's last_used_at is: the newest of the app's rows is the grant's,
         -- nearly always (one grant per app at a time), so this stops at once.
         (SELECT occurred_at FROM audit_log
           WHERE account_id = $1 AND client_id = $2 AND event_type = 'oauth_token.used' AND data::jsonb->>'grant_id' = $4
           ORDER BY occurred_at DESC LIMIT 1) AS last_used_at`,
      [query.account_id, query.client_id, from, query.grant_id, from, end, interval],
    )) as UsageRow[];
    return answer;
  });

  const byAction: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const byTool: Record<string, number> = {};
  let total = 0;
  let failures = 0;
  for (const group of row.breakdowns ?? []) {
    total += group.count;
    failures += group.failures;
    byAction[group.action] = (byAction[group.action] ?? 0) + group.count;
    if (group.status !== null) byStatus[group.status] = (byStatus[group.status] ?? 0) + group.count;
    if (group.mcp_tool !== null) byTool[group.mcp_tool] = (byTool[group.mcp_tool] ?? 0) + group.count;
  }
  // json_agg writes timestamptz in the session's time zone: back to UTC ISO 8601 as everywhere else.
  const iso = (value: string | Date): string => new Date(value).toISOString();
  return {
    grant_id: query.grant_id,
    client_id: query.client_id,
    range: query.range,
    request_count: total,
    failure_count: failures,
    last_used_at: row.last_used_at ? iso(row.last_used_at) : null,
    by_action: byAction,
    by_status: byStatus,
    by_mcp_tool: byTool,
    series: row.series.map((bucket) => ({ start: iso(bucket.start), count: bucket.count })),
    locations: (row.places ?? []).map((place) => ({
      country: place.country,
      city: place.city,
      count: place.count,
      first_seen: iso(place.first_seen),
      last_seen: iso(place.last_seen),
    })),
    ips: (row.addresses ?? []).map((address) => ({
      ip: address.ip,
      count: address.count,
      first_seen: iso(address.first_seen),
      last_seen: iso(address.last_seen),
    })),
  };
}
