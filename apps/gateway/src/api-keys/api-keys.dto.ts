import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
} from 'class-validator';
import {
  INTEGRATIONS,
  type Integration,
  IsDisplayName,
  IsRfc3339DateTime,
  keySearchText,
  maskPastedKeys,
  PaginationQuery,
  USAGE_RANGES,
  type UsageRange,
  isRfc3339DateTime,
} from '#contracts';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

/** Checked only for a valid timestamp, so that a malformed one gets one clear message. */
const IsInTheFuture = () =>
  ValidateBy({
    name: 'isInTheFuture',
    validator: {
      validate: (value: unknown) => !isRfc3339DateTime(value) || Date.parse(value as string) > Date.now(),
      defaultMessage: () => 'must be in the future',
    },
  });

/** `mcp_server` passes validation here so that it can be answered with its own code, INTEGRATION_RETIRED. */
class IntegrationsField {
  @ApiProperty({ enum: ['ai_tools', 'cli'], isArray: true, example: ['ai_tools', 'cli'] })
  @IsArray()
  @ArrayMinSize(1, { message: 'choose at least one integration' })
  @ArrayMaxSize(3)
  @ArrayUnique({ message: 'must not list an integration twice' })
  @IsIn(INTEGRATIONS, { each: true, message: 'each integration must be ai_tools or cli' })
  integrations: Integration[];
}

export class CreateApiKeyDto extends IntegrationsField {
  @ApiProperty({ minLength: 1, maxLength: 255, example: 'Development Setup' })
  @Transform(trim)
  @IsString()
  @MinLength(1, { message: 'must not be empty' })
  @MaxLength(255)
  @IsDisplayName()
  name: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'the key is refused after this time; null or absent: it never expires',
  })
  @IsOptional()
  @IsRfc3339DateTime()
  @IsInTheFuture()
  expires_at?: string;
}

export class UpdateApiKeyDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 255 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MinLength(1, { message: 'must not be empty' })
  @MaxLength(255)
  @IsDisplayName()
  name?: string;

  @ApiPropertyOptional({ enum: ['ai_tools', 'cli'], isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1, { message: 'choose at least one integration' })
  @ArrayMaxSize(3)
  @ArrayUnique({ message: 'must not list an integration twice' })
  @IsIn(INTEGRATIONS, { each: true, message: 'each integration must be ai_tools or cli' })
  integrations?: Integration[];
}

export class RotateApiKeyDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 604800, default: 0, description: 'seconds the old key keeps working' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(604_800)
  grace_period_seconds?: number;
}

/**
 * What a key is found by: a whole key pasted into the search is its display prefix (the key itself must not
 * travel to key-service or stay in the address), and the `…` a prefix is shown with in the table goes.
 */
function keySearchTerm({ value }: { value: unknown }): unknown {
  return typeof value === 'string' ? maskPastedKeys(keySearchText(value)) : value;
}

export class ListApiKeysQuery extends PaginationQuery {
  @ApiPropertyOptional({ enum: ['active', 'revoked', 'all'], default: 'active' })
  @IsOptional()
  @IsIn(['active', 'revoked', 'all'])
  status: 'active' | 'revoked' | 'all' = 'active';

  @ApiPropertyOptional({ enum: ['created_at', 'last_used_at', 'name'], default: 'created_at' })
  @IsOptional()
  @IsIn(['created_at', 'last_used_at', 'name'])
  sort_by: 'created_at' | 'last_used_at' | 'name' = 'created_at';

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  sort_order: 'asc' | 'desc' = 'desc';

  @ApiPropertyOptional({
    description:
      'keys whose name contains this text (any case) or whose display prefix (`vxk_` and 8 hex) starts with it',
    maxLength: 255,
  })
  @IsOptional()
  @Transform(keySearchTerm)
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  search?: string;
}

export class UsageQuery {
  @ApiPropertyOptional({ enum: USAGE_RANGES, default: '7d' })
  @IsOptional()
  @IsIn(USAGE_RANGES)
  range: UsageRange = '7d';
}
