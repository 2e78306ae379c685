import { createHash, randomBytes } from 'node:crypto';
import { type BlockList, isIP } from 'node:net';
import type { Request } from 'express';
import { LOOPBACK_HOSTS, OAUTH_SCOPE_NAMES, type OAuthScope, containsPastedKey } from '#contracts';
import { isHttps } from '../http/client-address';

/** The MCP endpoint (PRODUCT.md §14): the one protected resource the authorization server issues tokens for. */
export const MCP_PATH = '/mcp/v1/common';

const HOST = /^[A-Za-z0-9.:[\]-]{1,255}$/;

/**
 * The origin clients use: `PUBLIC_URL` when configured, else the request's own scheme and Host (a Host
 * that is not a plain host name or address is replaced by `localhost`, so it cannot inject text).
 */
export function publicOrigin(request: Request, trusted: BlockList, configured: string | undefined): string {
  if (configured) return normalizedOrigin(configured);
  const host = request.headers.host ?? '';
  return normalizedOrigin(`${isHttps(request, trusted) ? 'https' : 'http'}://${HOST.test(host) ? host : 'localhost'}`);
}

/**
 * An origin as clients write it (`new URL(…).origin`: lower-case host, no default port), so that the
 * resource they send (the MCP SDK sends `new URL(url).href`) compares equal to ours.
 */
function normalizedOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return 'http://localhost';
  }
}

/**
 * Whether two resource URIs name the same resource, compared in their normalized form (RFC 8707), a trailing `/`
 * aside: the MCP endpoint answers at `…/mcp/v1/common/` too, and a client configured with that URL sends it.
 */
export function sameResource(a: string, b: string): boolean {
  const normalized = (uri: string): string => {
    const url = new URL(uri);
    if (url.pathname.length > 1 && url.pathname.endsWith('/')) url.pathname = url.pathname.replace(/\/+$/, '');
    return url.href;
  };
  try {
    return normalized(a) === normalized(b);
  } catch {
    return false;
  }
}

export const mcpResource = (origin: string): string => `${origin}${MCP_PATH}`;
export const resourceMetadataUrl = (origin: string): string =>
  `${origin}/.well-known/oauth-protected-resource${MCP_PATH}`;

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
export const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
export const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** RFC 7636 §4.2 S256: base64url(SHA-256(verifier)), no padding. */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** Tokens: a prefix that says what they are (and that they are not API keys), then 32 random bytes. */
export const ACCESS_TOKEN = /^vxo_[0-9a-f]{64}$/;
export const newAccessToken = (): string => `vxo_${randomBytes(32).toString('hex')}`;
export const newRefreshToken = (): string => `vxr_${randomBytes(32).toString('hex')}`;
export const newAuthorizationCode = (): string => randomBytes(32).toString('base64url');

/** Space-separated scopes (RFC 6749 §3.3); none asked → every scope. `null` when one is unknown. */
/** The `error` values of the token, registration and revocation endpoints (RFC 6749 §5.2, RFC 7591, RFC 8707). */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'invalid_redirect_uri',
  'invalid_client_metadata',
] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

export function parseScopes(scope: string | undefined): OAuthScope[] | null {
  if (scope === undefined || scope.trim() === '') return [...OAUTH_SCOPE_NAMES];
  const names = [...new Set(scope.trim().split(/ +/))];
  return names.every((name) => (OAUTH_SCOPE_NAMES as string[]).includes(name)) ? (names as OAuthScope[]) : null;
}

/** Editors whose MCP clients use their own one-word scheme for the OAuth callback. */
const APP_SCHEMES = new Set(['cursor:', 'vscode:', 'vscode-insiders:', 'windsurf:', 'zed:', 'claude:']);
/** A private-use scheme in the reverse-domain form RFC 8252 §7.1 asks for (`com.example.app:`). */
const REVERSE_DOMAIN_SCHEME = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+:$/;

/** The problem of a redirect URI that holds a key: an answer naming it never repeats the URI. */
export const HOLDS_A_KEY = 'holds an API key or token';

/**
 * Why a redirect URI cannot be registered, or `null` when it can (OAuth 2.1 §2.3.1, RFC 8252 §7): https;
 * http only to this machine's loopback (native apps listen there); or an app's own private-use scheme,
 * in reverse-domain form (`com.example.app:/cb`) or a known editor's (`cursor://…`). An allow-list: an
 * operating system's own schemes (`ms-msdt:`, `search-ms:`) start programs. Never a fragment or credentials.
 */
export function redirectUriProblem(value: string): string | null {
  if (value.length > 2000) return 'is longer than 2000 characters';
  if (/[\s\p{Cc}]/u.test(value)) return 'contains spaces or control characters';
  // Registered URIs are stored in events and shown to every user who connects the app (`%5F` for `_` too).
  if (containsPastedKey(value) || containsPastedKey(percentDecoded(value))) return HOLDS_A_KEY;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URI';
  }
  if (url.hash || value.includes('#')) return 'must not have a fragment';
  if (url.username || url.password) return 'must not carry credentials';
  if (url.protocol === 'https:') return url.hostname ? null : 'has no host';
  if (url.protocol === 'http:')
    return LOOPBACK_HOSTS.has(url.hostname) ? null : 'must use https (http only for localhost, 127.0.0.1 or [::1])';
  if (APP_SCHEMES.has(url.protocol) || REVERSE_DOMAIN_SCHEME.test(url.protocol)) return null;
  return `must not use the ${url.protocol} scheme: use https, http on the loopback, or an app scheme such as com.example.app:`;
}

function percentDecoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // a stray `%`: the URI check refuses what is wrong with it
  }
}

/** Whether a redirect URI is http on this machine's loopback interface (a native app listening for the answer). */
export function isLoopbackRedirect(uri: string): boolean {
  try {
    const url = new URL(uri);
    return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}

/** `uri` with `params` added to its query (RFC 6749 §4.1.2 keeps the URI's own query). */
export function withQuery(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.append(name, value);
  return url.toString();
}

/** The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 8707 §2). */
export interface AuthorizationParams {
  response_type?: string;
  client_id?: string;
  redirect_uri?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  state?: string;
  scope?: string;
  resource?: string;
}

export const AUTHORIZATION_PARAM_NAMES = [
  'response_type',
  'client_id',
  'redirect_uri',
  'code_challenge',
  'code_challenge_method',
  'state',
  'scope',
  'resource',
] as const satisfies readonly (keyof AuthorizationParams)[];

/**
 * The known parameters of a query or body, each a string. A parameter sent twice (an array) is refused:
 * RFC 6749 §3.1 forbids repeating one, and which copy counts would be ambiguous.
 */
export function readParams<K extends string>(
  source: unknown,
  names: readonly K[],
): { params: Partial<Record<K, string>> } | { repeated: K } | { notString: K } {
  const params: Partial<Record<K, string>> = {};
  const record = (typeof source === 'object' && source !== null ? source : {}) as Record<string, unknown>;
  for (const name of names) {
    const value = Object.prototype.hasOwnProperty.call(record, name) ? record[name] : undefined;
    if (value === undefined) continue;
    if (Array.isArray(value)) return { repeated: name };
    if (typeof value !== 'string') return { notString: name };
    params[name] = value;
  }
  return { params };
}

/** The token of `Authorization: Bearer <token>` (RFC 6750 §2.1: the scheme is case-insensitive), if any. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^bearer +([^\s]+)$/i.exec(header)?.[1];
}

/**
 * What anonymous OAuth requests are throttled by: the address, or for IPv6 its /64 (one host usually holds a
 * whole /64, so counting single addresses would let it register without limit).
 */
export function throttleKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const compressed = ip.includes('::');
  const [head, tail = ''] = ip.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = compressed && tail ? tail.split(':') : [];
  const zeros = compressed ? Array<string>(Math.max(0, 8 - headParts.length - tailParts.length)).fill('0') : [];
  const parts = [...headParts, ...zeros, ...tailParts];
  return `${parts
    .slice(0, 4)
    .map((part) => part.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
