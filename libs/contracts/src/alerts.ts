import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PaginationQuery } from './pagination';
import { containsPastedKey } from './pasted-keys';
import { Transform, Type } from 'class-transformer';
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
  ValidateIf,
  ValidateNested,
} from 'class-validator';

import { ALERT_RULES, ALERT_STATUSES, AUTO_REVOKE_RULES } from './alert-rules';

export { ALERT_RULES, ALERT_STATUSES, AUTO_REVOKE_RULES };
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

  @ApiPropertyOptional({ type: String, maxLength: 1000, nullable: true })
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
  @ArrayUnique({ message: 'must name each day once' })
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

/**
 * Why a value is not an absolute http(s) URL to call as given, or undefined when it is one. The URL parser
 * would quietly drop surrounding spaces and control characters, and read `http:///x`, `http:\\x` or
 * `https:x` as if `//x` were written: such a value is refused, never stored as given and called as guessed.
 */
export function httpUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048) return 'must be an http(s) URL of at most 2048 characters';
  if (/[\s\p{Cc}]/u.test(value)) return 'must not contain spaces or control characters';
  const authority = /^https?:\/\/([^/\\?#]+)/i.exec(value)?.[1];
  if (authority === undefined || !URL.canParse(value)) return 'must be an http(s) URL';
  if (authority.includes('@')) return 'must not contain credentials (user:password@)';
  if (new URL(value).port === '0') return 'must not use port 0';
  return undefined;
}

/**
 * Why a value cannot be the account's webhook: `httpUrlProblem`, or an API key in it (the URL is stored in
 * settings events and sent to audit-service: no key may ride along). A leak report's source URL, which quotes
 * the key found there, is only an http(s) URL (its key is masked where it is kept).
 */
export function webhookUrlProblem(value: unknown): string | undefined {
  return httpUrlProblem(value) ?? (containsPastedKey(value as string) ? 'must not contain an API key' : undefined);
}

/** An absolute http(s) URL without credentials (see `httpUrlProblem`). */
export function isHttpUrl(value: unknown): value is string {
  return httpUrlProblem(value) === undefined;
}

/** IPv4 ranges no webhook may reach: [first address, prefix length]. */
const PRIVATE_IPV4: [string, number][] = [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // shared address space (carrier-grade NAT)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address 255.255.255.255
];

function ipv4Number(text: string): number | undefined {
  const parts = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)?.slice(1).map(Number);
  if (!parts || parts.some((part) => part > 255)) return undefined;
  return parts.reduce((number, part) => number * 256 + part, 0);
}

function isPrivateIpv4(address: number): boolean {
  return PRIVATE_IPV4.some(([first, bits]) => {
    const size = 2 ** (32 - bits);
    return Math.floor(address / size) === Math.floor((ipv4Number(first) ?? NaN) / size);
  });
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, an IPv4 tail as two groups, a zone dropped). */
function ipv6Groups(text: string): number[] | undefined {
  let address = text.replace(/%.*$/, '');
  const tail4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (tail4) {
    const v4 = ipv4Number(tail4[2]);
    if (v4 === undefined) return undefined;
    address = `${tail4[1]}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const [head, tail] = halves.map((half) => (half === '' ? [] : half.split(':')));
  const missing = 8 - head.length - (tail?.length ?? 0);
  if (tail ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(tail ? missing : 0).fill('0'), ...(tail ?? [])];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
  return groups.map((group) => parseInt(group, 16));
}

const zeros = (...groups: number[]): boolean => groups.every((group) => group === 0);

/**
 * The IPv4 address an IPv6 address carries, as a number: IPv4-compatible (::a.b.c.d), IPv4-mapped
 * (::ffff:a.b.c.d), IPv4-translated (SIIT, ::ffff:0:a.b.c.d), NAT64 (64:ff9b::a.b.c.d) or 6to4
 * (2002:aabb:ccdd::); undefined for any other.
 */
function embeddedIpv4(groups: number[]): number | undefined {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups;
  if (zeros(g0, g1, g2, g3, g4) && (g5 === 0 || g5 === 0xffff)) return g6 * 65536 + g7;
  if (zeros(g0, g1, g2, g3, g5) && g4 === 0xffff) return g6 * 65536 + g7;
  if (g0 === 0x64 && g1 === 0xff9b && zeros(g2, g3, g4, g5)) return g6 * 65536 + g7;
  if (g0 === 0x2002) return g1 * 65536 + g2;
  return undefined;
}

function isPrivateIpv6(groups: number[]): boolean {
  const [g0, g1, g2, g3, g4, g5] = groups;
  // ::/96: unspecified, loopback, and IPv4-compatible (::127.0.0.1) addresses.
  if (zeros(g0, g1, g2, g3, g4, g5)) return true;
  // IPv4-mapped, NAT64 and 6to4: the IPv4 address decides.
  const v4 = embeddedIpv4(groups);
  if (v4 !== undefined) return isPrivateIpv4(v4);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return true; // local-use NAT64
  if (g0 === 0x100 && zeros(g1, g2, g3)) return true; // discard-only
  // Unique local fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast ff00::/8.
  return (g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0 || (g0 & 0xff00) === 0xff00;
}

/**
 * Whether an IP address (as a URL's host or a DNS answer gives it) is of this machine, a private network or
 * another range a webhook has no business reaching. A name, not an address, is not one.
 */
export function isPrivateAddress(address: string): boolean {
  const host = address.replace(/^\[|\]$/g, '');
  const v4 = ipv4Number(host);
  if (v4 !== undefined) return isPrivateIpv4(v4);
  const v6 = host.includes(':') ? ipv6Groups(host) : undefined;
  return v6 !== undefined && isPrivateIpv6(v6);
}

/**
 * Whether an IP address is link-local (169.254.0.0/16, fe80::/10, or AWS's IPv6 metadata fd00:ec2::254): where
 * cloud metadata services answer with the machine's credentials. No webhook goes there, even where private
 * targets are allowed for an on-premises receiver.
 */
export function isLinkLocalAddress(address: string): boolean {
  const isLinkLocalIpv4 = (v4: number) => v4 >>> 16 === 0xa9fe; // 169.254.0.0/16
  const host = address.replace(/^\[|\]$/g, '');
  const v4 = ipv4Number(host);
  if (v4 !== undefined) return isLinkLocalIpv4(v4);
  const v6 = host.includes(':') ? ipv6Groups(host) : undefined;
  if (v6 === undefined) return false;
  const embedded = embeddedIpv4(v6);
  if (embedded !== undefined) return isLinkLocalIpv4(embedded);
  const awsMetadata = v6[0] === 0xfd00 && v6[1] === 0xec2 && zeros(...v6.slice(2, 7)) && v6[7] === 0x254;
  return (v6[0] & 0xffc0) === 0xfe80 || awsMetadata;
}

/** Whether a webhook URL names a link-local address literally (`http://169.254.169.254/…`, `http://[fe80::1]/`). */
export function isLinkLocalUrl(value: string): boolean {
  return URL.canParse(value) && isLinkLocalAddress(new URL(value).hostname);
}

/** A webhook target: http(s), not an address of this machine or a private network (no SSRF into the platform). */
export function isSafeWebhookUrl(value: unknown): boolean {
  if (!isHttpUrl(value)) return false;
  // A fully qualified name (`localhost.`) is the same host as without its final dot.
  const host = new URL(value).hostname.toLowerCase().replace(/\.+$/, '');
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal'))
    return false;
  return !isPrivateAddress(host);
}

/**
 * A field PUT must send (the settings are replaced as a whole): left out, it would otherwise be taken for null
 * and drop a webhook the client never meant to touch. Named `isDefined` so that it is the one message shown.
 */
const Required = (hint: string) =>
  ValidateBy({
    name: 'isDefined',
    validator: { validate: (value) => value !== undefined, defaultMessage: () => `is required: ${hint}` },
  });

/**
 * `utc` → `UTC`, `europe/paris` → `Europe/Paris`: the name in the time zone database's case. Only the case:
 * ICU would also turn a current name into an old alias (`Asia/Kolkata` → `Asia/Calcutta`), which is kept as sent.
 */
function canonicalTimeZone({ value }: { value: unknown }): unknown {
  if (!isTimeZone(value)) return value;
  const resolved = new Intl.DateTimeFormat('en', { timeZone: value }).resolvedOptions().timeZone;
  return resolved.toLowerCase() === value.toLowerCase() ? resolved : value;
}

export class SecuritySettingsDto {
  @ApiProperty({ example: 'Europe/Berlin', description: 'IANA time zone (stored as the database spells it)' })
  @Required('an IANA time zone such as Europe/Berlin')
  @Transform(canonicalTimeZone)
  @ValidateBy({
    name: 'isTimeZone',
    validator: { validate: isTimeZone, defaultMessage: () => 'must be an IANA time zone such as Europe/Berlin' },
  })
  timezone: string;

  @ApiProperty({ type: WorkingHoursDto, nullable: true })
  @Required('{ days, start, end }, or null for none')
  @ValidateIf((_settings, value) => value !== null)
  // Not an array: @ValidateNested would check each element, so `[]` passed and was stored as working hours.
  @IsObject({ message: 'must be an object { days, start, end }, or null for none' })
  @ValidateNested()
  @Type(() => WorkingHoursDto)
  working_hours: WorkingHoursDto | null;

  @ApiProperty({ type: String, nullable: true, example: 'https://hooks.example.com/vibexp' })
  @Required('an http(s) URL, or null for none')
  @ValidateIf((_settings, value) => value !== null)
  // Private and local targets are refused by audit-service (unless WEBHOOK_ALLOW_PRIVATE_TARGETS).
  @ValidateBy({
    name: 'isWebhookUrl',
    validator: {
      validate: (value) => webhookUrlProblem(value) === undefined,
      defaultMessage: (args) => webhookUrlProblem(args?.value) ?? 'must be an http(s) URL',
    },
  })
  webhook_url: string | null;

  @ApiProperty({ enum: AUTO_REVOKE_RULES, isArray: true })
  @Required('a list of rules, [] for none')
  @IsArray()
  @ArrayUnique({ message: 'must name each rule once' })
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
  rotateWebhookSecret: 'audit.rpc.settings.rotate_webhook_secret',
} as const;
