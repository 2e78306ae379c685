/**
 * The API's shapes the dashboard shows (PRODUCT.md §2, §3.3, §7, §9, §14). Those of key-service come from the
 * contracts library itself (type-only: nothing of it is bundled), so the dashboard cannot drift from them.
 */
import type { AccountView, ApiKeyView, KeyUsage } from '../../../libs/contracts/src/keys';

export type { Integration } from '../../../libs/contracts/src/keys';

/** `GET /api/v1/auth/me` with a session: the account without its limit. */
export type User = Omit<AccountView, 'rate_limit_per_hour'>;
export type ApiKey = ApiKeyView;
export type Usage = KeyUsage;

export interface CreatedKey {
  api_key: ApiKey;
  full_key: string;
  key_prefix: string;
  replaces?: string;
}

export interface Alert {
  id: string;
  rule: string;
  severity: 'low' | 'medium' | 'high';
  status: 'open' | 'acknowledged' | 'resolved';
  key_id?: string | null;
  key_prefix?: string | null;
  summary: string;
  evidence: Record<string, unknown>;
  count: number;
  first_seen: string;
  last_seen: string;
  /** Once resolved: what as, the note given, and when. */
  resolution?: string;
  resolution_note?: string | null;
  resolved_at?: string;
}

export interface AuditEvent {
  id: string;
  type: string;
  occurred_at: string;
  outcome: 'success' | 'failure';
  action: string;
  ip: string | null;
  location: { country?: string; city?: string | null } | null;
  tool_type: string | null;
  key_id: string | null;
  key_prefix: string | null;
  stream?: string;
  version?: number;
  data: Record<string, unknown>;
  meta?: { request_id?: string; user_agent?: string; client_id?: string; [field: string]: unknown };
}

/** The list envelope of PRODUCT.md §1, with the list under its plural name. */
export type ListPage<K extends string, T> = { [P in K]: T[] } & {
  total_count: number;
  page: number;
  per_page: number;
  total_pages: number;
};

export interface SecuritySettings {
  timezone: string;
  working_hours: { days: number[]; start: string; end: string } | null;
  webhook_url: string | null;
  auto_revoke_on: string[];
  webhook_secret?: string | null;
}

/** The consent page's request, and where its answer sends the browser (PRODUCT.md §14). */
export type {
  OAuthAuthorizationView as OAuthAuthorization,
  OAuthRedirectView as OAuthRedirect,
} from '../../../libs/contracts/src/oauth-views';

export type OAuthDecision = 'allow' | 'deny';

/** `POST /api/v1/oauth/authorization`: the query's parameters and the user's answer. */
export interface OAuthDecisionRequest {
  client_id: string;
  redirect_uri?: string;
  response_type: string;
  code_challenge: string;
  code_challenge_method: string;
  state?: string;
  scope?: string;
  resource?: string;
  decision: OAuthDecision;
}

/** `GET /api/v1/settings/oauth/grants`: an app the user allowed, until disconnected. */
export type { AppUsage, OAuthGrantView as OAuthGrant } from '../../../libs/contracts/src/oauth-views';
