/** Alert rules (PRODUCT.md §9.2), without decorators: the dashboard imports these lists too. */

/** The rules that watch a key's use: the ones auto-revoke can act on. */
export const AUTO_REVOKE_RULES = [
  'request_spike',
  'off_hours',
  'new_location',
  'failed_auth_burst',
  'revoked_key_use',
] as const;
/**
 * Every rule an alert can have: the above, a key reported as leaked (§11), and an OAuth code or refresh
 * token used twice (§14). Both have revoked what was exposed already.
 */
export const ALERT_RULES = [...AUTO_REVOKE_RULES, 'key_leaked', 'oauth_token_reuse'] as const;
export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
