import {
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import {
  ACCOUNT_STATUSES,
  type AccountStatus,
  EmailAsStored,
  IsRequestMeta,
  IsVisibleEmail,
  RequestMetaDto,
  TIERS,
  type Tier,
} from '#contracts';
import { PageRequest } from '../shared/page-request';

export class SignupCommand {
  @EmailAsStored()
  @IsEmail()
  @IsVisibleEmail()
  @MaxLength(254)
  email: string;

  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  /** Hashed by the gateway: the password itself never crosses NATS. */
  @Matches(/^\$argon2id\$/)
  @MaxLength(512)
  password_hash: string;

  @IsRequestMeta()
  meta: RequestMetaDto;
}

export class CredentialsQuery {
  @IsString()
  @MaxLength(254)
  email: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  ip?: string;
}

export class LoginFailedCommand {
  @IsString()
  @MaxLength(254)
  email: string;

  @IsOptional()
  @IsUUID()
  account_id?: string;

  /** `account_suspended`: the right password for a suspended account (recorded, not throttled). */
  @IsIn(['unknown_email', 'wrong_password', 'account_suspended'])
  reason: 'unknown_email' | 'wrong_password' | 'account_suspended';

  @IsRequestMeta()
  meta: RequestMetaDto;
}

export class AdminListAccountsQuery extends PageRequest {
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;

  @IsIn(['created_at', 'email'])
  sort_by: 'created_at' | 'email';
}

export class AdminUpdateAccountCommand {
  @IsUUID()
  account_id: string;

  @IsOptional()
  @IsIn(TIERS)
  tier?: Tier;

  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  rate_limit_per_hour?: number | null;

  @IsOptional()
  @IsIn(ACCOUNT_STATUSES)
  status?: AccountStatus;

  @IsRequestMeta()
  meta: RequestMetaDto;
}
