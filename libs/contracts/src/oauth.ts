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
} from 'class-validator';
import { IsRequestMeta, RequestMetaDto } from './request-meta.dto';
import { OAUTH_SCOPE_NAMES, type OAuthScope } from './oauth-views';

export * from './oauth-views';

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
  getGrant: 'keys.rpc.oauth.grants.get',
  revokeGrant: 'keys.rpc.oauth.grants.revoke',
} as const;

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** base64url of a SHA-256 digest, no padding (RFC 7636 S256). */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

class Metaed {
  @IsRequestMeta()
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

/** One grant of the account, disconnected or not (an app's usage page outlives the connection). */
export class GetGrantQuery {
  @IsUUID()
  account_id: string;

  @IsUUID()
  grant_id: string;
}

export class RevokeGrantCommand extends Metaed {
  @IsUUID()
  account_id: string;

  @IsUUID()
  grant_id: string;

  /** `user` (Disconnect, the default) or `anomaly` (the detector's auto-revoke). */
  @IsOptional()
  @IsIn(['user', 'anomaly'])
  reason?: 'user' | 'anomaly';
}
