import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { type ContentLocator, type EventMeta, IsRequestMeta, RequestMetaDto, VersionsQuery } from '#contracts';

/** Who acts, as the gateway verified it. content-service only ever sees this account id. */
export class ActorDto {
  @IsUUID()
  account_id: string;

  @IsOptional()
  @IsUUID()
  key_id?: string;

  @IsOptional()
  @IsUUID()
  client_id?: string;

  @IsRequestMeta()
  meta: RequestMetaDto;
}

export function eventMeta(actor: ActorDto): EventMeta {
  const meta: EventMeta = { request_id: actor.meta.request_id, account_id: actor.account_id };
  if (actor.key_id) meta.key_id = actor.key_id;
  if (actor.client_id) meta.client_id = actor.client_id;
  if (actor.meta.ip) meta.ip = actor.meta.ip;
  if (actor.meta.user_agent) meta.user_agent = actor.meta.user_agent;
  if (actor.meta.location)
    meta.location = { country: actor.meta.location.country, city: actor.meta.location.city ?? null };
  return meta;
}

export class LocatorDto {
  @IsOptional()
  @IsString()
  @MaxLength(64)
  id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  slug?: string;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  project?: string;
}

export function toLocator(locator: LocatorDto): ContentLocator {
  if (locator.id !== undefined) return { id: locator.id };
  if (locator.project !== undefined && locator.slug !== undefined)
    return { project: locator.project, slug: locator.slug };
  return { slug: locator.slug ?? '' };
}

export class Addressed {
  @ValidateNested()
  @Type(() => ActorDto)
  actor: ActorDto;

  @ValidateNested()
  @Type(() => LocatorDto)
  locator: LocatorDto;
}

/** A page of a resource's versions (PRODUCT.md §1). A gateway from before versions were paged sends none: page 1. */
export class VersionsCommand extends Addressed {
  @IsOptional()
  @ValidateNested()
  @Type(() => VersionsQuery)
  query: VersionsQuery = new VersionsQuery();
}

export class RestoreCommand extends Addressed {
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  version: number;
}
