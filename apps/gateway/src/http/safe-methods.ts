/** Methods that change nothing (RFC 9110 §9.2.1): no CSRF token needed, and an unanswered one changed nothing. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
