import { IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import {
  GRANTABLE_INTEGRATIONS,
  type GrantableIntegration,
  INTEGRATIONS,
  type Integration,
  REVOKE_REASONS,
  type RevokeReason,
} from '#contracts';
import { IsRequestMeta, RequestMetaDto } from '#contracts';
import { PageRequest } from '../shared/page-request';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const VXK_PREFIX = /^vxk_[0-9a-f]{8}$/;
/** base64url of a SHA-256 digest, no padding (RFC 7636 S256). */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export class VerifyKeyQuery {
  @Matches(SHA256_HEX)
  key_hash: string;
}

class OwnedKey {
  @IsUUID()
  account_id: string;

  @IsUUID()
  key_id: string;
}

export class GetKeyQuery extends OwnedKey {}

/** What the user chooses for a new key, and whose it is. */
class KeyChoice {
  @IsUUID()
  account_id: string;

  @IsString()
  @MinLength(1)
  @MaxLength(255)
  name: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2)
  @ArrayUnique()
  @IsIn(GRANTABLE_INTEGRATIONS, { each: true })
  integrations: GrantableIntegration[];

  /** When the key stops working; absent: never. */
  @IsOptional()
  @IsISO8601({ strict: true })
  expires_at?: string;
}

/** Generated and hashed by the gateway: the key itself never crosses NATS. */
class GeneratedKey {
  @Matches(SHA256_HEX)
  key_hash: string;

  @Matches(VXK_PREFIX)
  key_prefix: string;

  @IsRequestMeta()
  meta: RequestMetaDto;
}

export class CreateKeyCommand extends IntersectionType(KeyChoice, GeneratedKey) {}

export class ListKeysQuery extends PageRequest {
  @IsUUID()
  account_id: string;

  @IsIn(['active', 'revoked', 'all'])
  status: 'active' | 'revoked' | 'all';

  @IsIn(['created_at', 'last_used_at', 'name'])
  sort_by: 'created_at' | 'last_used_at' | 'name';

  /** Name contains it (any case), or the display prefix starts with it. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  search?: string;
}

export class UpdateKeyCommand extends OwnedKey {
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  name?: string;

  /** mcp_server only where the key already has it (decideIntegrations). */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(3)
  @ArrayUnique()
  @IsIn(INTEGRATIONS, { each: true })
  integrations?: Integration[];

  @IsRequestMeta()
  meta: RequestMetaDto;
}

export class RevokeKeyCommand extends OwnedKey {
  @IsIn(REVOKE_REASONS)
  reason: RevokeReason;

  @IsRequestMeta()
  meta: RequestMetaDto;
}

export class RotateKeyCommand extends OwnedKey {
  @IsInt()
  @Min(0)
  @Max(604_800)
  grace_period_seconds: number;

  @Matches(SHA256_HEX)
  key_hash: string;

  @Matches(VXK_PREFIX)
  key_prefix: string;

  @IsRequestMeta()
  meta: RequestMetaDto;
}

export class ReportLeakCommand {
  @Matches(SHA256_HEX)
  key_hash: string;

  @IsOptional()
  @IsString()
  @MaxLength(512)
  source_url?: string;

  @IsRequestMeta()
  meta: RequestMetaDto;
}

export class LegacyImportLineDto {
  @IsInt()
  @Min(1)
  line: number;

  @IsString()
  @MaxLength(254)
  email: string;

  @Matches(SHA256_HEX)
  key_sha256: string;

  @IsString()
  @MinLength(1)
  @MaxLength(40)
  key_prefix: string;

  @IsString()
  @MinLength(1)
  @MaxLength(255)
  name: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  created_at?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  last_used_at?: string;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  notes?: string;
}

export class LegacyImportCommand {
  @IsArray()
  @ArrayMaxSize(10_000)
  @ValidateNested({ each: true })
  @Type(() => LegacyImportLineDto)
  lines: LegacyImportLineDto[];

  @IsRequestMeta()
  meta: RequestMetaDto;
}

/**
 * `vibexp auth login --web`, step 1: the signed-in user approved a key for the CLI. Only the one-time code's
 * hash and the CLI's PKCE challenge are kept; the key itself is made at the exchange.
 */
export class AuthorizeCliLoginCommand extends KeyChoice {
  @Matches(SHA256_HEX)
  code_hash: string;

  @Matches(S256_CHALLENGE)
  code_challenge: string;

  /** The dashboard session that approves, recorded with the request's meta in the key's `key.created`. */
  @IsUUID()
  session_id: string;

  @IsRequestMeta()
  meta: RequestMetaDto;
}

/** Step 2: the CLI's code (hashed) and its verifier's S256, with the key the gateway generated for it. */
export class ExchangeCliLoginCommand extends GeneratedKey {
  @Matches(SHA256_HEX)
  code_hash: string;

  /** S256 of the CLI's code_verifier, made by the gateway: the verifier itself never crosses NATS. */
  @Matches(S256_CHALLENGE)
  verifier_challenge: string;
}
