import { HttpStatus } from '@nestjs/common';
import { BEARER_CHALLENGE, ProblemError } from '#common';

/** The challenge of a 401; on the MCP endpoint it also names the resource metadata (RFC 9728 §5.1). */
const challenge = (tokenSent: boolean, resourceMetadata?: string): string =>
  `${BEARER_CHALLENGE}${tokenSent ? ', error="invalid_token"' : ''}${resourceMetadata ? `, resource_metadata="${resourceMetadata}"` : ''}`;

/** The §3.4 answers. 401s carry WWW-Authenticate, with `error="invalid_token"` whenever a token was sent. */
export const AuthProblems = {
  required: (detail = 'send `Authorization: Bearer vxk_…` (an API key) or sign in', resourceMetadata?: string) =>
    new ProblemError(HttpStatus.UNAUTHORIZED, 'AUTH_REQUIRED', detail, {
      headers: { 'WWW-Authenticate': challenge(false, resourceMetadata) },
    }),
  malformed: (detail: string, resourceMetadata?: string) =>
    new ProblemError(HttpStatus.UNAUTHORIZED, 'AUTH_MALFORMED', detail, {
      headers: { 'WWW-Authenticate': challenge(true, resourceMetadata) },
    }),
  invalid: () =>
    new ProblemError(
      HttpStatus.UNAUTHORIZED,
      'AUTH_INVALID',
      'the API key is not valid: it is unknown, revoked or expired',
      {
        headers: { 'WWW-Authenticate': challenge(true) },
      },
    ),
  /** PRODUCT.md §3.4 / §14: the MCP endpoint takes OAuth 2.1 access tokens, never API keys. */
  /** A token was sent (an API key or another): a missing header is AUTH_REQUIRED. */
  oauthRequired: (resourceMetadata: string) =>
    new ProblemError(
      HttpStatus.UNAUTHORIZED,
      'OAUTH_REQUIRED',
      'the MCP endpoint uses OAuth 2.1, not API keys: connect your MCP client through its OAuth sign-in',
      {
        headers: { 'WWW-Authenticate': challenge(true, resourceMetadata) },
      },
    ),
  /** §14: an access token that is unknown, expired, revoked or for another resource. */
  invalidAccessToken: (
    resourceMetadata: string,
    detail = 'the access token is not valid: it is unknown, expired or revoked',
  ) =>
    new ProblemError(HttpStatus.UNAUTHORIZED, 'AUTH_INVALID', detail, {
      headers: { 'WWW-Authenticate': challenge(true, resourceMetadata) },
    }),
  suspended: () =>
    new ProblemError(HttpStatus.FORBIDDEN, 'ACCOUNT_SUSPENDED', 'the account is suspended; contact support'),
  /** `declarable`: another integration of the key that this route takes when the request declares it. */
  integration: (integration: string, declarable?: string) =>
    new ProblemError(
      HttpStatus.FORBIDDEN,
      'INTEGRATION_NOT_PERMITTED',
      `this API key does not have the "${integration}" integration; add it to the key in Settings → API Keys` +
        (declarable
          ? `, or, as a request of its "${declarable}" integration, send the header X-VibeXP-Integration: ${declarable}`
          : ''),
      {
        headers: { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${integration}"` },
      },
    ),
  sessionRequired: () =>
    new ProblemError(
      HttpStatus.FORBIDDEN,
      'SESSION_REQUIRED',
      'this route is for the dashboard only: sign in; an API key can never manage keys or security settings',
    ),
  csrf: () =>
    new ProblemError(
      HttpStatus.FORBIDDEN,
      'CSRF_FAILED',
      'send the X-CSRF-Token header with the csrf_token of this session',
    ),
  rateLimited: (secondsToReset: number, headers: Record<string, string>) =>
    new ProblemError(
      HttpStatus.TOO_MANY_REQUESTS,
      'RATE_LIMIT_EXCEEDED',
      `the account's hourly request limit is used up; it resets at the top of the hour, in ${secondsToReset} s`,
      { headers: { ...headers, 'Retry-After': String(secondsToReset) } },
    ),
  unavailable: () =>
    new ProblemError(
      HttpStatus.SERVICE_UNAVAILABLE,
      'AUTH_UNAVAILABLE',
      'authentication is temporarily unavailable; retry shortly',
      { headers: { 'Retry-After': '1' } },
    ),
};
