import type { AccountView, Integration, OAuthScope, VerifiedKey } from '#contracts';

export type Account = AccountView & { hourly_limit: number };

/** Who made a request, once the guard has let it through. */
export type Identity =
  | { kind: 'api_key'; account: Account; key: VerifiedKey['key'] }
  | { kind: 'session'; account: Account; sessionId: string; sessionExpiresAt: string }
  /** An OAuth 2.1 access token of the MCP endpoint (PRODUCT.md §14): a user's grant to an MCP client. */
  | { kind: 'oauth'; account: Account; grantId: string; clientId: string; scopes: OAuthScope[] };

/** How a route may be reached (decorated with `@Access`). */
export type AccessPolicy =
  /** No authentication (signup, login, report-leak). */
  | { mode: 'public' }
  /**
   * Dashboard only: an API key gets 403 SESSION_REQUIRED. `evenSuspended`: a suspended account's session is
   * taken too (signing out, which gives the account nothing).
   */
  | { mode: 'session'; evenSuspended?: boolean }
  /**
   * A session, or an API key that holds the route's integration. `fixed`: the route needs exactly that
   * integration whatever `X-VibeXP-Integration` declares (the audit log and alerts take `cli` keys only,
   * PRODUCT.md §9), rather than the declared one.
   */
  | { mode: 'session_or_key'; integration?: Integration; fixed?: boolean }
  /** A session or any valid API key, whatever its integrations (`/auth/me`). */
  | { mode: 'session_or_any_key' }
  /** OAuth 2.1 access tokens only (the MCP endpoint, PRODUCT.md §14): an API key gets 401 OAUTH_REQUIRED. */
  | { mode: 'oauth' };

declare module 'express-serve-static-core' {
  interface Request {
    identity?: Identity;
  }
}
