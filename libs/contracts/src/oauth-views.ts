import type { AccountView, KeyUsage, UsageRange } from './keys';

/**
 * The shapes and rules of OAuth 2.1 for the MCP endpoint (PRODUCT.md §14) that the dashboard also uses:
 * no decorators here, so that it can import them type-only, as it does the keys' (see ./oauth for the RPC
 * commands).
 */
/** What a grant may do on the MCP endpoint. */
export const OAUTH_SCOPES = {
  'content:read': 'Search and read your prompts, artifacts and memories',
  'content:write': 'Create and change your prompts, artifacts and memories',
} as const;
export type OAuthScope = keyof typeof OAUTH_SCOPES;
export const OAUTH_SCOPE_NAMES = Object.keys(OAUTH_SCOPES) as OAuthScope[];

/** Lifetimes (seconds). Access tokens are short; refresh tokens rotate on every use. */
export const OAUTH_CODE_TTL_S = 60;
/**
 * Why a grant was revoked (`oauth.grant_revoked`): the user, a newer grant, a replayed code or refresh token,
 * RFC 7009, or an alert on the app's use whose rule the account's auto-revoke settings name.
 */
export const OAUTH_GRANT_REVOKE_REASONS = [
  'user',
  'replaced',
  'code_reuse',
  'refresh_token_reuse',
  'token_revocation',
  'anomaly',
] as const;
export type OAuthGrantRevokeReason = (typeof OAUTH_GRANT_REVOKE_REASONS)[number];
export const OAUTH_ACCESS_TOKEN_TTL_S = 3_600;
export const OAUTH_REFRESH_TOKEN_TTL_S = 30 * 24 * 3_600;

/** The loopback host names a native app's redirect URI may use (RFC 8252 §7.3), as `URL#hostname` writes them. */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a requested redirect URI is one the client registered: the same string, or, for http on the
 * loopback interface, the same URI on any port (RFC 8252 §7.3, OAuth 2.1 §8.4.2): a native app such as
 * Claude Code listens on a new port for each sign-in but registers once.
 */
export function redirectUriRegistered(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  let asked: URL;
  try {
    asked = new URL(requested);
  } catch {
    return false;
  }
  if (asked.protocol !== 'http:' || !LOOPBACK_HOSTS.has(asked.hostname)) return false;
  const withoutPort = (url: URL) => `${url.protocol}//${url.hostname}${url.pathname}${url.search}`;
  return registered.some((uri) => {
    try {
      const known = new URL(uri);
      return known.protocol === 'http:' && withoutPort(known) === withoutPort(asked);
    } catch {
      return false;
    }
  });
}

export interface OAuthClientView {
  client_id: string;
  client_name: string;
  redirect_uris: string[];
  client_uri: string | null;
  created_at: string;
}

/** `GET /api/v1/oauth/authorization`: what an authorization request asks for, as the consent page shows it. */
export interface OAuthAuthorizationView {
  client: { client_id: string; client_name: string; client_uri: string | null };
  redirect_uri: string;
  scopes: { name: OAuthScope; description: string }[];
  resource: string;
}

/** `POST /api/v1/oauth/authorization`: where the browser goes next (the code, or `access_denied`). */
export interface OAuthRedirectView {
  redirect_to: string;
}

export interface OAuthGrantView {
  id: string;
  client_id: string;
  client_name: string;
  scopes: OAuthScope[];
  resource: string;
  created_at: string;
  last_used_at: string | null;
}

/** The answer to a token request: the grant's facts, or the RFC 6749 §5.2 error to send. */
export type OAuthTokenOutcome =
  | { ok: true; grant_id: string; scopes: OAuthScope[]; resource: string }
  | { ok: false; error: 'invalid_grant' | 'invalid_scope' | 'invalid_target'; error_description: string };

/** An access token that exists but expired: refused, and recorded as `expired` for its account. */
export interface ExpiredAccessToken {
  refused: 'expired';
  account_id: string;
}

/** A valid access token: whom it acts for, and what it may do where. */
export interface VerifiedAccessToken {
  grant_id: string;
  client_id: string;
  scopes: OAuthScope[];
  resource: string;
  expires_at: string;
  account: AccountView & { hourly_limit: number };
}

/**
 * `GET /api/v1/settings/oauth/grants/{id}/usage`: a connected app's MCP requests over a range, the counterpart
 * of a key's usage (PRODUCT.md §7), from the audit log's `oauth_token.used` events of the grant. Beyond the
 * contract; `client_name` is the app's self-chosen (unverified) name.
 */
export interface AppUsage extends Pick<KeyUsage, 'by_action' | 'by_status' | 'series' | 'locations' | 'ips'> {
  grant_id: string;
  client_id: string;
  client_name: string;
  range: UsageRange;
  request_count: number;
  /** Requests refused inside or outside a 200 answer (a JSON-RPC error, a refused tool call, an HTTP error). */
  failure_count: number;
  last_used_at: string | null;
  /** `tools/call` by the tool's name (ours: create_memory, search, …). */
  by_mcp_tool: Record<string, number>;
}
