import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  DomainError,
  type KeyUsage,
  KeysRpc,
  type RateLimitTotals,
  RpcErrorCode,
  USAGE_RANGES,
  type UsageRange,
  usageWindow,
} from '#contracts';
import { ApiKeysRepository } from '../api-keys/api-keys.repository';
import { KeyStore } from '../shared/key-store';

class UsageQuery {
  @IsUUID()
  account_id: string;

  @IsUUID()
  key_id: string;

  @IsIn(USAGE_RANGES)
  range: UsageRange;
}

class AccountCount {
  @IsUUID()
  account_id: string;

  @IsInt()
  @Min(0)
  count: number;
}

class RateLimitSyncCommand {
  @IsString()
  @MaxLength(64)
  instance_id: string;

  @IsInt()
  @Min(0)
  hour: number;

  /** The instance's count of each account for the hour so far (kept as the highest sent: a resend changes nothing). */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100_000)
  @ValidateNested({ each: true })
  @Type(() => AccountCount)
  totals: AccountCount[] = [];

  /** What the instance admitted since its last sync, added on: what gateways from before `totals` send. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100_000)
  @ValidateNested({ each: true })
  @Type(() => AccountCount)
  counts: AccountCount[] = [];

  @IsArray()
  @ArrayMaxSize(100_000)
  @IsUUID('all', { each: true })
  accounts: string[];
}

/** Usage of a key (PRODUCT.md §7) and the rate-limit ledger shared by gateway instances (§4). */
@Controller()
export class UsageHandler {
  constructor(
    private readonly store: KeyStore,
    private readonly keys: ApiKeysRepository,
  ) {}

  @MessagePattern(KeysRpc.keyUsage)
  async usage(@Payload() query: UsageQuery): Promise<KeyUsage> {
    const key = await this.keys.findOwned(query.account_id, query.key_id);
    if (!key) throw new DomainError(RpcErrorCode.ResourceNotFound, 'no API key with this id');
    const { hourly, from, end, interval } = usageWindow(query.range, this.store.clock());
    const bucket = hourly ? 'hour' : 'day';
    const db = this.store.dataSource;
    const params = [query.key_id, from];
    const [groups, series, failures, locations, ips] = await Promise.all([
      db.query(
        `SELECT tool_type, action, status, sum(count)::int AS count FROM key_usage_hourly WHERE key_id = $1 AND hour >= $2 GROUP BY 1, 2, 3`,
        params,
      ),
      db.query(
        `SELECT b.start, coalesce(sum(u.count), 0)::int AS count
           FROM generate_series($2::timestamptz, $3::timestamptz, $4::interval) AS b(start)
           LEFT JOIN key_usage_hourly u ON u.key_id = $1 AND date_trunc('${bucket}', u.hour, 'UTC') = b.start
          GROUP BY b.start ORDER BY b.start`,
        [query.key_id, from, end, interval],
      ),
      db.query(
        `SELECT coalesce(sum(count), 0)::int AS count FROM key_failures_hourly WHERE key_id = $1 AND hour >= $2`,
        params,
      ),
      db.query(
        `SELECT country, nullif(city, '') AS city, sum(count)::int AS count, min(first_seen) AS first_seen, max(last_seen) AS last_seen
           FROM key_usage_locations_daily WHERE key_id = $1 AND day >= $2::date GROUP BY country, city ORDER BY count DESC, country LIMIT 100`,
        params,
      ),
      db.query(
        `SELECT ip, sum(count)::int AS count, min(first_seen) AS first_seen, max(last_seen) AS last_seen
           FROM key_usage_ips_daily WHERE key_id = $1 AND day >= $2::date GROUP BY ip ORDER BY count DESC, ip LIMIT 100`,
        params,
      ),
    ]);
    const byToolType: Record<string, number> = {};
    const byAction: Record<string, number> = {};
    const byStatus: Record<string, number> = {};
    let total = 0;
    for (const row of groups as { tool_type: string; action: string; status: number; count: number }[]) {
      total += row.count;
      byToolType[row.tool_type] = (byToolType[row.tool_type] ?? 0) + row.count;
      byAction[row.action] = (byAction[row.action] ?? 0) + row.count;
      byStatus[String(row.status)] = (byStatus[String(row.status)] ?? 0) + row.count;
    }
    const iso = (value: Date): string => value.toISOString();
    return {
      key_id: query.key_id,
      range: query.range,
      request_count: total,
      failed_auth_count: (failures as { count: number }[])[0].count,
      last_used_at: key.last_used_at ? iso(key.last_used_at) : null,
      by_tool_type: byToolType,
      by_action: byAction,
      by_status: byStatus,
      series: (series as { start: Date; count: number }[]).map((row) => ({ start: iso(row.start), count: row.count })),
      locations: (
        locations as { country: string; city: string | null; count: number; first_seen: Date; last_seen: Date }[]
      ).map((row) => ({
        country: row.country,
        city: row.city,
        count: row.count,
        first_seen: iso(row.first_seen),
        last_seen: iso(row.last_seen),
      })),
      ips: (ips as { ip: string; count: number; first_seen: Date; last_seen: Date }[]).map((row) => ({
        ip: row.ip,
        count: row.count,
        first_seen: iso(row.first_seen),
        last_seen: iso(row.last_seen),
      })),
    };
  }

  /** Records one instance's admissions in the ledger and answers every instance's totals for the accounts it tracks. */
  @MessagePattern(KeysRpc.rateLimitSync)
  async sync(@Payload() command: RateLimitSyncCommand): Promise<RateLimitTotals> {
    const db = this.store.dataSource;
    if (command.totals.length > 0) {
      await db.query(
        `INSERT INTO rate_limit_ledger (account_id, hour, instance_id, count)
         SELECT account_id, $2, $3, count FROM jsonb_to_recordset($1::jsonb) AS c(account_id uuid, count int)
         ON CONFLICT (account_id, hour, instance_id)
         DO UPDATE SET count = GREATEST(rate_limit_ledger.count, EXCLUDED.count), updated_at = now()`,
        [JSON.stringify(command.totals), command.hour, command.instance_id],
      );
    }
    if (command.counts.length > 0) {
      await db.query(
        `INSERT INTO rate_limit_ledger (account_id, hour, instance_id, count)
         SELECT account_id, $2, $3, count FROM jsonb_to_recordset($1::jsonb) AS c(account_id uuid, count int)
         ON CONFLICT (account_id, hour, instance_id) DO UPDATE SET count = rate_limit_ledger.count + EXCLUDED.count, updated_at = now()`,
        [JSON.stringify(command.counts), command.hour, command.instance_id],
      );
    }
    const totals = (await db.query(
      `SELECT account_id, sum(count)::int AS count FROM rate_limit_ledger WHERE hour = $1 AND account_id = ANY($2::uuid[]) GROUP BY account_id`,
      [command.hour, command.accounts],
    )) as { account_id: string; count: number }[];
    return { hour: command.hour, totals };
  }
}
