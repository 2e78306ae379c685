import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { QueryInteger } from './pagination';
import { IsIn, IsInt, IsIP, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import type { EventEnvelope } from './envelope';
import { IsRfc3339DateTime } from './timestamps';
import { canonicalIp } from './ip-address';

/** Filters of `GET /api/v1/audit-log` and its export (PRODUCT.md §9.1). */
export class AuditLogQuery {
  @ApiPropertyOptional({
    description: 'comma-separated event types; `key.*` style prefixes allowed',
    example: 'key.*,auth.failed',
  })
  @IsOptional()
  // `key.*, session.*` as people write a list: the spaces around each comma go.
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.trim().replace(/\s*,\s*/g, ',') : value,
  )
  @IsString()
  @MaxLength(500)
  @Matches(/^[a-z_]+(\.([a-z_]+|\*))*(,[a-z_]+(\.([a-z_]+|\*))*)*$/, {
    message: 'must be event types such as key.revoked or prefixes such as key.*, comma-separated',
  })
  type?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  key_id?: string;

  @ApiPropertyOptional({
    description: 'an app connected over MCP (its OAuth client id): its requests, and the changes made through it',
  })
  @IsOptional()
  @IsUUID()
  client_id?: string;

  @ApiPropertyOptional({ example: 'prompts.list' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({ enum: ['success', 'failure'] })
  @IsOptional()
  @IsIn(['success', 'failure'])
  outcome?: 'success' | 'failure';

  @ApiPropertyOptional({ description: 'an IPv4 or IPv6 address, in any spelling (`::ffff:127.0.0.1` is `127.0.0.1`)' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? canonicalIp(value) : value))
  @IsIP()
  ip?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsRfc3339DateTime()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsRfc3339DateTime()
  to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 20 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(500)
  limit: number = 20;

  @ApiPropertyOptional({ enum: ['occurred_at'], default: 'occurred_at' })
  @IsOptional()
  @IsIn(['occurred_at'])
  sort_by = 'occurred_at' as const;

  @ApiPropertyOptional({
    enum: ['asc', 'desc'],
    default: 'desc',
    description:
      'desc (newest first) never misses an event while paging; asc pages past a late arrival older than the cursor',
  })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  sort_order: 'asc' | 'desc' = 'desc';

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class AuditExportQuery extends AuditLogQuery {
  @ApiPropertyOptional({ enum: ['ndjson', 'csv'], default: 'ndjson' })
  @IsOptional()
  @IsIn(['ndjson', 'csv'])
  format: 'ndjson' | 'csv' = 'ndjson';
}

/** An audit-log entry: the §8 envelope plus the facts the filters use, at top level. */
export interface AuditEvent extends EventEnvelope {
  outcome: 'success' | 'failure';
  action: string;
  ip: string | null;
  location: { country: string; city: string | null } | null;
  tool_type: string | null;
  key_id: string | null;
  key_prefix: string | null;
}

export interface AuditPage {
  events: AuditEvent[];
  next_cursor: string | null;
}

export const AuditRpc = {
  query: 'audit.rpc.log.query',
  appUsage: 'audit.rpc.app_usage',
} as const;
