import type { EntityManager } from 'typeorm';
import { type EventEnvelope, isUuid } from '#contracts';

interface UsedData {
  key_id: string;
  status: number;
  tool_type?: string;
  action?: string;
  ip?: string;
  location?: { country: string; city: string | null } | null;
}

/** UTC ISO 8601 as `Date.toISOString()` writes it, which is what the gateway sends. */
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
const canonical = (iso: string): string => (CANONICAL_UTC.test(iso) ? iso : new Date(Date.parse(iso)).toISOString());

/** The start of the event's UTC hour, cut from the text (no Date per event: this runs for every request). */
export const hourOf = (iso: string): string => `${canonical(iso).slice(0, 13)}:00:00.000Z`;
/** The event's UTC day, `YYYY-MM-DD`. */
export const dayOf = (iso: string): string => canonical(iso).slice(0, 10);

function bump<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/**
 * Folds a batch of AUTH events into the usage projections with a handful of statements, whatever the
 * batch size: the key rows (request_count, last_used_*), hourly buckets, daily locations and IPs,
 * hourly failed authentications. Runs in the consumer's transaction, after its inbox has dropped
 * events already folded, so a redelivery counts nothing twice.
 */
export async function foldUsage(events: EventEnvelope[], manager: EntityManager): Promise<void> {
  const keys = new Map<string, { count: number; last: EventEnvelope & { data: UsedData } }>();
  const hourly = new Map<string, number>();
  const locations = new Map<string, { count: number; first: string; last: string }>();
  const ips = new Map<string, { count: number; first: string; last: string }>();
  const failures = new Map<string, number>();
  const seen = (map: Map<string, { count: number; first: string; last: string }>, key: string, at: string): void => {
    const entry = map.get(key);
    if (!entry) map.set(key, { count: 1, first: at, last: at });
    else {
      entry.count += 1;
      if (at < entry.first) entry.first = at;
      if (at > entry.last) entry.last = at;
    }
  };

  for (const event of events) {
    const keyId = (event.data as { key_id?: unknown }).key_id;
    if (typeof keyId !== 'string' || !isUuid(keyId)) continue;
    if (event.type === 'auth.failed') {
      bump(failures, JSON.stringify([keyId, hourOf(event.occurred_at)]));
      continue;
    }
    if (event.type !== 'key.used') continue;
    const used = event as EventEnvelope & { data: UsedData };
    const current = keys.get(keyId);
    if (!current) keys.set(keyId, { count: 1, last: used });
    else {
      current.count += 1;
      if (used.occurred_at >= current.last.occurred_at) current.last = used;
    }
    bump(
      hourly,
      JSON.stringify([
        keyId,
        hourOf(used.occurred_at),
        used.data.tool_type ?? 'api',
        used.data.action ?? 'unknown',
        used.data.status,
      ]),
    );
    const location = used.data.location;
    if (location)
      seen(
        locations,
        JSON.stringify([keyId, dayOf(used.occurred_at), location.country, location.city ?? '']),
        used.occurred_at,
      );
    if (used.data.ip) seen(ips, JSON.stringify([keyId, dayOf(used.occurred_at), used.data.ip]), used.occurred_at);
  }

  if (keys.size > 0) {
    const rows = [...keys].map(([keyId, { count, last }]) => ({
      key_id: keyId,
      count,
      at: last.occurred_at,
      ip: last.data.ip ?? null,
      location: last.data.location ?? null,
      tool_type: last.data.tool_type ?? null,
    }));
    await manager.query(
      `UPDATE api_keys k SET
         request_count = k.request_count + u.count,
         last_used_at = GREATEST(k.last_used_at, u.at),
         last_used_ip = CASE WHEN k.last_used_at IS NULL OR u.at >= k.last_used_at THEN u.ip ELSE k.last_used_ip END,
         last_used_location = CASE WHEN k.last_used_at IS NULL OR u.at >= k.last_used_at THEN u.location ELSE k.last_used_location END,
         last_tool_type = CASE WHEN k.last_used_at IS NULL OR u.at >= k.last_used_at THEN u.tool_type ELSE k.last_tool_type END
       FROM jsonb_to_recordset($1::jsonb) AS u(key_id uuid, count int, at timestamptz, ip text, location jsonb, tool_type text)
       WHERE k.id = u.key_id`,
      [JSON.stringify(rows)],
    );
  }
  if (hourly.size > 0) {
    const rows = [...hourly].map(([key, count]) => {
      const [key_id, hour, tool_type, action, status] = JSON.parse(key) as [string, string, string, string, number];
      return { key_id, hour, tool_type, action, status, count };
    });
    await manager.query(
      `INSERT INTO key_usage_hourly (key_id, hour, tool_type, action, status, count)
       SELECT key_id, hour, tool_type, action, status, count
         FROM jsonb_to_recordset($1::jsonb) AS u(key_id uuid, hour timestamptz, tool_type text, action text, status int, count int)
       ON CONFLICT (key_id, hour, tool_type, action, status) DO UPDATE SET count = key_usage_hourly.count + EXCLUDED.count`,
      [JSON.stringify(rows)],
    );
  }
  if (locations.size > 0) {
    const rows = [...locations].map(([key, value]) => {
      const [key_id, day, country, city] = JSON.parse(key) as string[];
      return { key_id, day, country, city, ...value };
    });
    await manager.query(
      `INSERT INTO key_usage_locations_daily (key_id, day, country, city, count, first_seen, last_seen)
       SELECT key_id, day, country, city, count, first, last
         FROM jsonb_to_recordset($1::jsonb) AS u(key_id uuid, day date, country text, city text, count int, first timestamptz, last timestamptz)
       ON CONFLICT (key_id, day, country, city) DO UPDATE SET count = key_usage_locations_daily.count + EXCLUDED.count,
         first_seen = LEAST(key_usage_locations_daily.first_seen, EXCLUDED.first_seen),
         last_seen = GREATEST(key_usage_locations_daily.last_seen, EXCLUDED.last_seen)`,
      [JSON.stringify(rows)],
    );
  }
  if (ips.size > 0) {
    const rows = [...ips].map(([key, value]) => {
      const [key_id, day, ip] = JSON.parse(key) as string[];
      return { key_id, day, ip, ...value };
    });
    await manager.query(
      `INSERT INTO key_usage_ips_daily (key_id, day, ip, count, first_seen, last_seen)
       SELECT key_id, day, ip, count, first, last
         FROM jsonb_to_recordset($1::jsonb) AS u(key_id uuid, day date, ip text, count int, first timestamptz, last timestamptz)
       ON CONFLICT (key_id, day, ip) DO UPDATE SET count = key_usage_ips_daily.count + EXCLUDED.count,
         first_seen = LEAST(key_usage_ips_daily.first_seen, EXCLUDED.first_seen),
         last_seen = GREATEST(key_usage_ips_daily.last_seen, EXCLUDED.last_seen)`,
      [JSON.stringify(rows)],
    );
  }
  if (failures.size > 0) {
    const rows = [...failures].map(([key, count]) => {
      const [key_id, hour] = JSON.parse(key) as string[];
      return { key_id, hour, count };
    });
    await manager.query(
      `INSERT INTO key_failures_hourly (key_id, hour, count)
       SELECT key_id, hour, count FROM jsonb_to_recordset($1::jsonb) AS u(key_id uuid, hour timestamptz, count int)
       ON CONFLICT (key_id, hour) DO UPDATE SET count = key_failures_hourly.count + EXCLUDED.count`,
      [JSON.stringify(rows)],
    );
  }
}
