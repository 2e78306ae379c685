import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { ACCOUNT_STATUSES, type AccountStatus, PaginationQuery, TIERS, type Tier } from '#contracts';

export class UpdateAccountDto {
  @ApiPropertyOptional({ enum: TIERS })
  @IsOptional()
  @IsIn(TIERS)
  tier?: Tier;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 1,
    description:
      'custom hourly limit, enterprise accounts only: sent for an account that is not (or does not become) enterprise it is 400 VALIDATION_FAILED; null removes it (pro’s limit applies). Moving to another tier drops it.',
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  rate_limit_per_hour?: number | null;

  @ApiPropertyOptional({ enum: ACCOUNT_STATUSES })
  @IsOptional()
  @IsIn(ACCOUNT_STATUSES)
  status?: AccountStatus;
}

/** `GET /admin/v1/accounts`: a list like every list of PRODUCT.md §1 (paged, sorted), narrowed by email. */
export class ListAccountsQuery extends PaginationQuery {
  @ApiPropertyOptional({ description: 'the account with this email, in any case' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ enum: ['created_at', 'email'], default: 'created_at' })
  @IsOptional()
  @IsIn(['created_at', 'email'])
  sort_by: 'created_at' | 'email' = 'created_at';

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  sort_order: 'asc' | 'desc' = 'desc';
}
