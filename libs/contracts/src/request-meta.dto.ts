import { Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import type { RequestLocation, RequestMeta } from './keys';

export class RequestLocationDto implements RequestLocation {
  @IsString()
  @MaxLength(16)
  country: string;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  city: string | null;
}

export class RequestMetaDto implements RequestMeta {
  @IsString()
  @MaxLength(128)
  request_id: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  ip?: string;

  @IsOptional()
  @IsString()
  @MaxLength(2048)
  user_agent?: string;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RequestLocationDto)
  location?: RequestLocationDto;
}

/**
 * The `meta` of a command: who asked, recorded in the command's event. Required, and one object:
 * `@ValidateNested()` alone lets an absent value or a list through, and an event without its request id and
 * address tells an audit nothing.
 */
export function IsRequestMeta(): PropertyDecorator {
  return (target, property) => {
    IsObject()(target, property);
    ValidateNested()(target, property);
    Type(() => RequestMetaDto)(target, property);
  };
}
