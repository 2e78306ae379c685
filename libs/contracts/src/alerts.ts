import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PaginationQuery } from './pagination';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';

/** The rules that watch a key's use (PRODUCT.md §9.2): the ones auto-revoke can act on. */
export const AUTO_REVOKE_RULES = [
  'request_spike',
  'off_hours',
  'new_location',
  'failed_auth_burst',
  'revoked_key_use',
] as const;
/** Every rule an alert can have: the above, and a key reported as leaked (§11, already revoked). */
export const ALERT_RULES = [...AUTO_REVOKE_RULES, 'key_leaked'] as const;
export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export const RESOLUTIONS = ['legitimate', 'revoked_key', 'false_positive'] as const;
/** How the alerts list can be sorted (PRODUCT.md §1); `severity` orders low < medium < high. */
export const ALERT_SORTS = ['last_seen', 'first_seen', 'severity', 'count'] as const;

export class AlertsQuery extends PaginationQuery {
  @ApiPropertyOptional({ enum: ALERT_STATUSES })
  @IsOptional()
  @IsIn(ALERT_STATUSES)
  status?: (typeof ALERT_STATUSES)[number];

  @ApiPropertyOptional({ enum: ALERT_RULES })
  @IsOptional()
  @IsIn(ALERT_RULES)
  rule?: (typeof ALERT_RULES)[number];

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  key_id?: string;

  @ApiPropertyOptional({ enum: ALERT_SORTS, default: 'last_seen' })
  @IsOptional()
  @IsIn(ALERT_SORTS)
  sort_by: (typeof ALERT_SORTS)[number] = 'last_seen';

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  sort_order: 'asc' | 'desc' = 'desc';
}

export class ResolveAlertDto {
  @ApiProperty({
    enum: RESOLUTIONS,
    description: '`legitimate` teaches the detector (no repeat for that location / hour)',
  })
  @IsIn(RESOLUTIONS)
  resolution: (typeof RESOLUTIONS)[number];

  @ApiPropertyOptional({ maxLength: 1000, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  note?: string | null;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export class WorkingHoursDto {
  @ApiProperty({ type: [Number], description: 'ISO weekdays, 1 = Monday … 7 = Sunday', example: [1, 2, 3, 4, 5] })
  @IsArray()
  @ArrayMinSize(1, { message: 'choose at least one day, or send working_hours: null for none' })
  @ArrayUnique()
  @ArrayMaxSize(7)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(7, { each: true })
  days: number[];

  @ApiProperty({ example: '09:00' })
  @Matches(HHMM, { message: 'must be HH:MM' })
  start: string;

  @ApiProperty({ example: '18:00', description: 'before start: the working day crosses midnight' })
  @Matches(HHMM, { message: 'must be HH:MM' })
  @ValidateBy({
    name: 'differsFromStart',
    validator: {
      validate: (value: unknown, args) => value !== (args?.object as WorkingHoursDto).start,
      defaultMessage: () => 'must differ from start (an empty or a whole day is ambiguous)',
    },
  })
  end: string;
}

export function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** An absolute http(s) URL without credentials. */
export function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 2048) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
  } catch {
    return false;
  }
}

/** A webhook target: http(s), not an address of this machine or a private network (no SSRF into the platform). */
export function isSafeWebhookUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 2048) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (url.username || url.password) return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal'))
    return false;
  const private4 =
    /^(0|10|127)\.|^169\.254\.|^172\.(1[6-9]|2\d|3[01])\.|^192\.168\.|^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host) && private4.test(host)) return false;
  if (
    host.includes(':') &&
    (host === '::1' || host === '::' || /^(fc|fd|fe8|fe9|fea|feb)/.test(host) || host.startsWith('::ffff:'))
  )
    return false;
  return true;
}

export class SecuritySettingsDto {
  @ApiProperty({ example: 'Europe/Berlin', description: 'IANA time zone' })
  @ValidateBy({
    name: 'isTimeZone',
    validator: { validate: isTimeZone, defaultMessage: () => 'must be an IANA time zone such as Europe/Berlin' },
  })
  timezone: string;

  @ApiProperty({ type: WorkingHoursDto, nullable: true })
  @IsOptional()
  // Not an array: @ValidateNested would check each element, so `[]` passed and was stored as working hours.
  @IsObject({ message: 'must be an object { days, start, end }, or null for none' })
  @ValidateNested()
  @Type(() => WorkingHoursDto)
  working_hours: WorkingHoursDto | null;

  @ApiProperty({ nullable: true, example: 'https://hooks.example.com/vibexp' })
  @IsOptional()
  // Private and local targets are refused by audit-service (unless WEBHOOK_ALLOW_PRIVATE_TARGETS).
  @ValidateBy({ name: 'isHttpUrl', validator: { validate: isHttpUrl, defaultMessage: () => 'must be an http(s) URL' } })
  webhook_url: string | null;

  @ApiProperty({ enum: AUTO_REVOKE_RULES, isArray: true })
  @IsArray()
  @ArrayUnique()
  @IsIn(AUTO_REVOKE_RULES, { each: true })
  auto_revoke_on: (typeof AUTO_REVOKE_RULES)[number][];
}

export const AlertsRpc = {
  list: 'audit.rpc.alerts.list',
  get: 'audit.rpc.alerts.get',
  acknowledge: 'audit.rpc.alerts.acknowledge',
  resolve: 'audit.rpc.alerts.resolve',
  getSettings: 'audit.rpc.settings.get',
  putSettings: 'audit.rpc.settings.put',
} as const;
