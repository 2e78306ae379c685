import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import type { AccountView } from './keys';
import { RequestMetaDto } from './request-meta.dto';

/**
 * OAuth 2.1 for the MCP endpoint (PRODUCT.md §14). key-service owns clients, grants and tokens; the
 * gateway speaks the HTTP protocol (RFC 6749/8414/9728/7591/7636/7009) and makes every secret
 * itself: only SHA-256 hashes of codes and tokens cross NATS, and the PKCE verifier never leaves the
 * gateway (it sends the S256 challenge it computed from it).
 */
export const OAuthRpc = {
  registerClient: 'keys.rpc.oauth.clients.register',
  getClient: 'keys.rpc.oauth.clients.get',
  issueCode: 'keys.rpc.oauth.codes.issue',
  exchangeCode: 'keys.rpc.oauth.codes.exchange',
  refresh: 'keys.rpc.oauth.tokens.refresh',
  verifyAccessToken: 'keys.rpc.oauth.tokens.verify',
  revokeToken: 'keys.rpc.oauth.tokens.revoke',
  listGrants: 'keys.rpc.oauth.grants.list',
  revokeGrant: 'keys.rpc.oauth.grants.revoke',
} as const;

/** What a grant may do on the MCP endpoint. */
export const OAUTH_SCOPES = {
  'content:read': 'Search and read your prompts, artifacts and memories',
  'content:write': 'Create and change your prompts, artifacts and memories',
} as const;
export type OAuthScope = keyof typeof OAUTH_SCOPES;
export const OAUTH_SCOPE_NAMES = Object.keys(OAUTH_SCOPES) as OAuthScope[];

/** Lifetimes (seconds). Access tokens are short; refresh tokens rotate on every use. */
export const OAUTH_CODE_TTL_S = 60;
export const OAUTH_ACCESS_TOKEN_TTL_S = 3_600;
export const OAUTH_REFRESH_TOKEN_TTL_S = 30 * 24 * 3_600;

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** base64url of a SHA-256 digest, no padding (RFC 7636 S256). */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

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

/** A valid access token: whom it acts for, and what it may do where. */
export interface VerifiedAccessToken {
  grant_id: string;
  client_id: string;
  scopes: OAuthScope[];
  resource: string;
  expires_at: string;
  account: AccountView & { hourly_limit: number };
}

class Metaed {
  @ValidateNested()
  @Type(() => RequestMetaDto)
  meta: RequestMetaDto;
}

export class RegisterClientCommand extends Metaed {
  @IsString()
  @MaxLength(100)
  client_name: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @MaxLength(2000, { each: true })
  redirect_uris: string[];

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  client_uri?: string;
}

export class GetClientQuery {
  @IsUUID()
  client_id: string;
}

export class IssueCodeCommand extends Metaed {
  @IsUUID()
  account_id: string;

  @IsUUID()
  client_id: string;

  @IsString()
  @MaxLength(2000)
  redirect_uri: string;

  @Matches(S256_CHALLENGE)
  code_challenge: string;

  @IsArray()
  @ArrayMinSize(1)
  @IsIn(OAUTH_SCOPE_NAMES, { each: true })
  scopes: OAuthScope[];

  @IsString()
  @MaxLength(2000)
  resource: string;

  /** Whether the authorization request named the redirect URI: then the token request must name it too. */
  @IsBoolean()
  redirect_uri_given: boolean;

  @Matches(SHA256_HEX)
  code_hash: string;
}

export class ExchangeCodeCommand extends Metaed {
  @Matches(SHA256_HEX)
  code_hash: string;

  @IsUUID()
  client_id: string;

  /** Required when the authorization request named one (OAuth 2.1 §4.1.3). */
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  redirect_uri?: string;

  /** S256 of the verifier the client sent, computed by the gateway. */
  @Matches(S256_CHALLENGE)
  code_challenge: string;

  /** The resource the client asks for (RFC 8707), when it names one: must be the authorized one. */
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  resource?: string;

  @Matches(SHA256_HEX)
  access_token_hash: string;

  @Matches(SHA256_HEX)
  refresh_token_hash: string;
}

export class RefreshTokenCommand extends Metaed {
  @Matches(SHA256_HEX)
  refresh_token_hash: string;

  @IsUUID()
  client_id: string;

  /** A narrower set of the grant's scopes, when the client asks for one. */
  @IsOptional()
  @IsArray()
  @IsIn(OAUTH_SCOPE_NAMES, { each: true })
  scopes?: OAuthScope[];

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  resource?: string;

  @Matches(SHA256_HEX)
  access_token_hash: string;

  @Matches(SHA256_HEX)
  new_refresh_token_hash: string;
}

export class VerifyAccessTokenQuery {
  @Matches(SHA256_HEX)
  token_hash: string;
}

export class RevokeTokenCommand extends Metaed {
  @Matches(SHA256_HEX)
  token_hash: string;

  /** RFC 7009: a client may revoke only its own tokens. */
  @IsOptional()
  @IsUUID()
  client_id?: string;
}

export const GRANT_SORT_FIELDS = ['created_at', 'last_used_at'] as const;

export class ListGrantsQuery {
  @IsUUID()
  account_id: string;

  @IsIn(GRANT_SORT_FIELDS)
  sort_by: (typeof GRANT_SORT_FIELDS)[number];

  @IsIn(['asc', 'desc'])
  sort_order: 'asc' | 'desc';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  page: number;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number;
}

export class RevokeGrantCommand extends Metaed {
  @IsUUID()
  account_id: string;

  @IsUUID()
  grant_id: string;
}
