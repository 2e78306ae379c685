import { IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import { IsRequestMeta, RequestMetaDto } from '#contracts';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export class CreateSessionCommand {
  @IsUUID()
  account_id: string;

  @Matches(SHA256_HEX)
  token_hash: string;

  @Matches(SHA256_HEX)
  csrf_token_hash: string;

  @IsRequestMeta()
  meta: RequestMetaDto;
}

export class VerifySessionQuery {
  @Matches(SHA256_HEX)
  token_hash: string;
}

export class EndSessionCommand {
  @Matches(SHA256_HEX)
  token_hash: string;

  /** `logout` (the default), or `replaced`: the browser signed in again, and its cookie now holds another session. */
  @IsOptional()
  @IsIn(['logout', 'replaced'])
  reason?: 'logout' | 'replaced';

  @IsRequestMeta()
  meta: RequestMetaDto;
}
