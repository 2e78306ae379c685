/**
 * The values the API takes for the options the CLI checks before sending (PRODUCT.md §1, §5, §6, §9), so a wrong
 * one is a usage error (exit 2) whoever would have caught it. The CLI imports nothing of the platform (it starts
 * fast on Node built-ins alone): its unit test holds every one of them equal to libs/contracts (its constants, and
 * for the values written only in a validator, such as `@Max(500)`, what that validator checks).
 */
export const MAX_PAGE = 1_000_000;
export const MAX_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 500;
export const SORT_ORDERS = ['asc', 'desc'] as const;
export const PROMPT_STATUSES = ['draft', 'published'] as const;
export const ENTRY_STATUSES = ['active', 'draft', 'archived'] as const;
/** Spellings the API takes too, stored as their canonical value. */
export const ENTRY_STATUS_ALIASES = ['expired'] as const;
export const ARTIFACT_TYPES = ['work_reports', 'static_contexts', 'general'] as const;
export const ARTIFACT_TYPE_ALIASES = ['work-reports', 'static-contexts'] as const;
export const PROMPT_SORTS = ['name', 'created_at', 'updated_at'] as const;
export const ARTIFACT_SORTS = ['created_at', 'updated_at', 'title'] as const;
export const MEMORY_SORTS = ['created_at', 'updated_at'] as const;
export const SEARCH_TYPES = ['prompts', 'artifacts', 'memories'] as const;
export const AUDIT_OUTCOMES = ['success', 'failure'] as const;
export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export const ALERT_RULES = [
  'request_spike',
  'off_hours',
  'new_location',
  'failed_auth_burst',
  'revoked_key_use',
  'key_leaked',
  'oauth_token_reuse',
] as const;
export const ALERT_SORTS = ['last_seen', 'first_seen', 'severity', 'count'] as const;
export const RESOLUTIONS = ['legitimate', 'revoked_key', 'false_positive'] as const;
