import { IsOptional, IsString, MaxLength } from 'class-validator';
import type { RequestMeta } from './keys';

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
}
