/**
 * The key-service's vocabulary: accounts, sessions and API keys as they cross NATS.
 * Secrets never appear here: the gateway generates keys, session tokens and password hashes and
 * sends only their hashes (PRODUCT.md §1: no secret in a NATS message).
 */

export const INTEGRATIONS = ['ai_tools', 'cli', 'mcp_server'] as const;

/**
 * What the keys list is searched by, from what a person pastes: a whole `vxk_` key becomes its display prefix
 * (the key itself must not travel to key-service or stay in an address), and the `…` the table shows after a
 * prefix goes, as does the `…[REDACTED]` the gateway puts after the prefix of a key pasted into any query.
 * Shared by the gateway and the dashboard.
 */
export function keySearchText(typed: string): string {
  const text = typed.trim().replace(/…(?:\[REDACTED\])?$/, '');
  if (/^vxk_[0-9A-Fa-f]{64}$/.test(text)) return text.slice(0, 12).toLowerCase();
  return /^vxk_[0-9A-Fa-f]{8}$/i.test(text) ? text.toLowerCase() : text;
}
export type Integration = (typeof INTEGRATIONS)[number];
/** What a new key may be given; `mcp_server` is legacy (PRODUCT.md §3.2). */
export const GRANTABLE_INTEGRATIONS = ['ai_tools', 'cli'] as const satisfies readonly Integration[];

/** Why `mcp_server` cannot be granted (PRODUCT.md §3.2): the answer to a key that asks for it anew. */
export const MCP_SERVER_RETIRED =
  'mcp_server can no longer be granted: the MCP endpoint authenticates with OAuth 2.1, not API keys. Choose ai_tools and/or cli.';
export type GrantableIntegration = (typeof GRANTABLE_INTEGRATIONS)[number];

export const TIERS = ['free', 'pro', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];
export const ACCOUNT_STATUSES = ['active', 'suspended'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
export const TIER_HOURLY_LIMITS: Record<Exclude<Tier, 'enterprise'>, number> = { free: 1_000, pro: 10_000 };
/** An enterprise account without a custom limit gets the pro limit. */
export function hourlyLimit(tier: Tier, custom: number | null): number {
  if (tier === 'enterprise') return custom ?? TIER_HOURLY_LIMITS.pro;
  return TIER_HOURLY_LIMITS[tier];
}

export const KEY_STATUSES = ['active', 'revoked'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];
export const REVOKE_REASONS = ['user', 'rotated', 'expired', 'admin', 'leaked', 'anomaly'] as const;
export type RevokeReason = (typeof REVOKE_REASONS)[number];

/** Where a request came from, by its address (GeoIP; private and loopback addresses are `local`). */
export interface RequestLocation {
  country: string;
  city: string | null;
}

/** Who asked, for the event's `meta` (PRODUCT.md §8), with where from when the address has a known place. */
export interface RequestMeta {
  request_id: string;
  ip?: string;
  user_agent?: string;
  location?: RequestLocation;
}

export interface AccountView {
  id: string;
  email: string;
  name: string;
  tier: Tier;
  rate_limit_per_hour: number | null;
  status: AccountStatus;
  created_at: string;
}

export interface ApiKeyView {
  id: string;
  name: string;
  key_prefix: string;
  integrations: Integration[];
  is_legacy: boolean;
  migration_notes: string | null;
  status: KeyStatus;
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
  request_count: number;
  last_used_ip: string | null;
  last_used_location: { country: string; city: string | null } | null;
  last_tool_type: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  revoked_reason: RevokeReason | null;
  rotation_due: boolean;
  replaced_by: string | null;
  /** When an active key that was rotated with a grace period will be revoked; null otherwise (beyond §3.3's list). */
  revokes_at: string | null;
}

/** `keys.rpc.verify`: everything the gateway needs to authorise a request, or `null` for an unknown hash. */
export interface VerifiedKey {
  key: {
    id: string;
    name: string;
    key_prefix: string;
    integrations: Integration[];
    status: KeyStatus;
    /** Why a revoked key is revoked (`expired` included), so that its refusal is recorded as such. */
    revoked_reason: RevokeReason | null;
    expires_at: string | null;
    /** End of a rotation's grace period: refused from then on, even before key-service records it. */
    revoke_at: string | null;
    is_legacy: boolean;
  };
  account: AccountView & { hourly_limit: number };
}

export interface VerifiedSession {
  session_id: string;
  csrf_token_hash: string;
  expires_at: string;
  account: AccountView & { hourly_limit: number };
}

export interface LoginCredentials {
  /** Null for an unknown email: the gateway still spends the same time verifying a dummy hash. */
  account: AccountView | null;
  password_hash: string | null;
  /** How long the gateway waits before answering, after repeated failures for this email or IP. */
  delay_ms: number;
}

export interface Page<T> {
  items: T[];
  total_count: number;
  page: number;
  per_page: number;
  total_pages: number;
}

export interface LegacyImportLine {
  line: number;
  email: string;
  key_sha256: string;
  /** `legacy:` + 6 hex of the hash, or the first 12 characters of a plaintext key. */
  key_prefix: string;
  name: string;
  created_at?: string;
  last_used_at?: string;
  notes?: string;
}

export interface LegacyImportResult {
  created: number;
  existing: number;
  failed: number;
  results: { line: number; status: 'created' | 'exists' | 'error'; key_id?: string; error?: string }[];
}

/**
 * Pushed on core NATS by key-service after every change that can deny a key or change its limit;
 * every gateway instance evicts what it cached.
 */
export interface KeyInvalidation {
  key_id?: string;
  account_id?: string;
  /** A key hash became known (created, imported): forget cached "unknown key" answers. */
  new_key?: boolean;
}

export const KeysRpc = {
  verify: 'keys.rpc.verify',
  signup: 'keys.rpc.accounts.signup',
  credentials: 'keys.rpc.accounts.credentials',
  loginFailed: 'keys.rpc.accounts.login_failed',
  createSession: 'keys.rpc.sessions.create',
  verifySession: 'keys.rpc.sessions.verify',
  endSession: 'keys.rpc.sessions.end',
  createKey: 'keys.rpc.keys.create',
  listKeys: 'keys.rpc.keys.list',
  getKey: 'keys.rpc.keys.get',
  updateKey: 'keys.rpc.keys.update',
  revokeKey: 'keys.rpc.keys.revoke',
  rotateKey: 'keys.rpc.keys.rotate',
  reportLeak: 'keys.rpc.keys.report_leak',
  adminListAccounts: 'keys.rpc.admin.accounts.list',
  adminUpdateAccount: 'keys.rpc.admin.accounts.update',
  adminImportLegacy: 'keys.rpc.admin.legacy_import',
  rateLimitSync: 'keys.rpc.ratelimit.sync',
  keyUsage: 'keys.rpc.keys.usage',
  authorizeCliLogin: 'keys.rpc.cli_login.authorize',
  exchangeCliLogin: 'keys.rpc.cli_login.exchange',
} as const;

/** How long the CLI has to fetch a key the user approved in the browser (`vibexp auth login --web`). */
export const CLI_LOGIN_TTL_S = 120;

export const KEY_INVALIDATION_SUBJECT = 'keys.invalidate';

/** `keys.rpc.ratelimit.sync` answer: every instance's admissions for the hour, per account asked about. */
export interface RateLimitTotals {
  hour: number;
  totals: { account_id: string; count: number }[];
}

export const USAGE_RANGES = ['24h', '7d', '30d', '90d'] as const;
export type UsageRange = (typeof USAGE_RANGES)[number];

/**
 * The buckets of a usage range (PRODUCT.md §7): hourly for 24h, daily (UTC) otherwise, the last one being the
 * hour (or day) that contains `now`, going back over the range. Pure.
 */
export interface UsageWindow {
  hourly: boolean;
  /** Start of the first bucket. */
  from: Date;
  /** Start of the last bucket. */
  end: Date;
  /** `'1 hour'` or `'1 day'`, for PostgreSQL's generate_series. */
  interval: '1 hour' | '1 day';
}

const RANGE_DAYS: Record<UsageRange, number> = { '24h': 1, '7d': 7, '30d': 30, '90d': 90 };

export function usageWindow(range: UsageRange, now: Date): UsageWindow {
  const hourly = range === '24h';
  const step = hourly ? 3_600_000 : 86_400_000;
  const end = new Date(Math.floor(now.getTime() / step) * step);
  const buckets = hourly ? 24 : RANGE_DAYS[range];
  return { hourly, from: new Date(end.getTime() - (buckets - 1) * step), end, interval: hourly ? '1 hour' : '1 day' };
}

/** PRODUCT.md §7 `Usage`. */
export interface KeyUsage {
  key_id: string;
  range: UsageRange;
  request_count: number;
  failed_auth_count: number;
  last_used_at: string | null;
  by_tool_type: Record<string, number>;
  by_action: Record<string, number>;
  by_status: Record<string, number>;
  series: { start: string; count: number }[];
  locations: { country: string; city: string | null; count: number; first_seen: string; last_seen: string }[];
  ips: { ip: string; count: number; first_seen: string; last_seen: string }[];
}
