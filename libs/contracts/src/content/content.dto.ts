import { ApiProperty, ApiPropertyOptional, IntersectionType, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
} from 'class-validator';
import {
  Canonical,
  IsMetadata,
  IsProject,
  KeptAsSent,
  MAX_ARTIFACT_CONTENT_BYTES,
  MAX_LABEL_LENGTH,
  MAX_LABELS,
  MaxBytes,
  NormalizeLabels,
  NotBlank,
  SLUG_PATTERN,
} from './content-fields';
import { IsTitleText } from '../display-name';
import { isUuid } from '../envelope';
import { PaginationQuery, QueryInteger } from '../pagination';
import { MaskPastedKeys } from '../pasted-keys';
import { RESERVED_KEYS } from '../reserved-keys';

export const PROMPT_STATUSES = ['draft', 'published'] as const;
export const ARTIFACT_TYPES = ['work_reports', 'static_contexts', 'general'] as const;
export const ENTRY_STATUSES = ['active', 'draft', 'archived'] as const;
const TYPE_ALIASES = { 'work-reports': 'work_reports', 'static-contexts': 'static_contexts' };
const STATUS_ALIASES = { expired: 'archived' };
/** The other spellings an artifact's type and an entry's status are taken in (the CLI checks them before sending). */
export { TYPE_ALIASES as ARTIFACT_TYPE_ALIASES, STATUS_ALIASES as ENTRY_STATUS_ALIASES };
const SLUG_MESSAGE = 'must be lower-case letters and digits in words joined by single hyphens (e.g. "code-review")';

const commaList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)
    : value;

class Labelled {
  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_LABELS,
    description: 'trimmed and de-duplicated; each at most 50 characters',
  })
  @IsOptional()
  @NormalizeLabels()
  @IsArray()
  @ArrayMaxSize(MAX_LABELS, { message: `at most ${MAX_LABELS} labels` })
  @IsString({ each: true })
  @MinLength(1, { each: true, message: 'a label must not be empty' })
  @MaxLength(MAX_LABEL_LENGTH, { each: true, message: `a label is at most ${MAX_LABEL_LENGTH} characters` })
  labels?: string[];
}

/** Every update may name the version it was made from; a mismatch is 409 VERSION_CONFLICT. */
class ExpectedVersion {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'the version you read; a mismatch is 409 VERSION_CONFLICT',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  // 1e20 is an integer to JSON but no version an item can reach, nor one a client read: a mistake, not a conflict.
  @Max(Number.MAX_SAFE_INTEGER)
  expected_version?: number;
}

// ---- prompts (§5.1) ----

export class CreatePromptDto extends Labelled {
  @ApiPropertyOptional({
    maxLength: 255,
    pattern: SLUG_PATTERN.source,
    description: 'derived from the name when omitted; never shaped like a UUID (`/prompts/{id}` takes either)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @Matches(SLUG_PATTERN, { message: SLUG_MESSAGE })
  @ValidateBy({
    name: 'isNotIdShaped',
    validator: {
      validate: (value: unknown) => !isUuid(value),
      defaultMessage: () => 'must not have the shape of an id (a UUID): /prompts/{id} would read it as one',
    },
  })
  slug?: string;

  @ApiProperty({ minLength: 1, maxLength: 100 })
  @IsString()
  @MinLength(1)
  @NotBlank()
  @MaxLength(100)
  @IsTitleText()
  name: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiProperty({
    minLength: 1,
    maxLength: 100_000,
    description: '{{placeholders}}, @slug references, @@ for a literal @',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(100_000)
  body: string;

  @ApiPropertyOptional({ enum: PROMPT_STATUSES, default: 'draft' })
  @IsOptional()
  @IsIn(PROMPT_STATUSES)
  status?: (typeof PROMPT_STATUSES)[number];

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  mcp_expose?: boolean;
}

/** A partial update: every field of the create body, all optional, with `expected_version`. */
export class UpdatePromptDto extends IntersectionType(PartialType(CreatePromptDto), ExpectedVersion) {}

export class RenderPromptDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', maxLength: 100_000 },
    example: { language: 'TypeScript' },
  })
  @IsOptional()
  @KeptAsSent()
  @IsObject()
  @ValidateBy({
    name: 'stringValues',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        Object.values(value).every((v) => typeof v === 'string' && v.length <= 100_000),
      defaultMessage: () => 'every placeholder value must be a string of at most 100,000 characters',
    },
  })
  placeholders?: Record<string, string>;
}

// ---- artifacts (§5.2) ----

export class CreateArtifactDto extends Labelled {
  @ApiProperty({ example: 'my-app/backend' })
  @IsProject()
  project: string;

  @ApiPropertyOptional({
    maxLength: 255,
    description: 'derived from the title when omitted; unique within the project',
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @Matches(SLUG_PATTERN, { message: SLUG_MESSAGE })
  slug?: string;

  @ApiProperty({ minLength: 1, maxLength: 255 })
  @IsString()
  @MinLength(1)
  @NotBlank()
  @MaxLength(255)
  @IsTitleText()
  title: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiProperty({ description: 'Markdown, 1 byte to 1 MiB' })
  @IsString()
  @MinLength(1)
  @MaxBytes(MAX_ARTIFACT_CONTENT_BYTES)
  content: string;

  @ApiPropertyOptional({
    enum: ARTIFACT_TYPES,
    default: 'general',
    description: 'work-reports / static-contexts are accepted too',
  })
  @IsOptional()
  @Canonical(TYPE_ALIASES)
  @IsIn(ARTIFACT_TYPES)
  type?: (typeof ARTIFACT_TYPES)[number];

  @ApiPropertyOptional({ enum: ENTRY_STATUSES, default: 'active', description: '"expired" is accepted as archived' })
  @IsOptional()
  @Canonical(STATUS_ALIASES)
  @IsIn(ENTRY_STATUSES)
  status?: (typeof ENTRY_STATUSES)[number];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'at most 16 KiB' })
  @IsOptional()
  @KeptAsSent()
  @IsMetadata()
  metadata?: Record<string, unknown>;
}

/** A partial update (`project` moves the artifact), with `expected_version`. */
export class UpdateArtifactDto extends IntersectionType(PartialType(CreateArtifactDto), ExpectedVersion) {}

// ---- memories (§5.3) ----

export class CreateMemoryDto extends Labelled {
  @ApiProperty({ minLength: 1, maxLength: 50_000 })
  @IsString()
  @MinLength(1)
  @NotBlank()
  @MaxLength(50_000)
  text: string;

  @ApiPropertyOptional({ type: String, maxLength: 255, nullable: true, description: 'null removes it' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @IsTitleText()
  title?: string | null;

  @ApiPropertyOptional({ type: String, example: 'my-app', nullable: true, description: 'null removes it' })
  @IsOptional()
  @IsProject()
  project?: string | null;

  @ApiPropertyOptional({ enum: ENTRY_STATUSES, default: 'active' })
  @IsOptional()
  @Canonical(STATUS_ALIASES)
  @IsIn(ENTRY_STATUSES)
  status?: (typeof ENTRY_STATUSES)[number];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'at most 16 KiB' })
  @IsOptional()
  @KeptAsSent()
  @IsMetadata()
  metadata?: Record<string, unknown>;
}

export class UpdateMemoryDto extends IntersectionType(PartialType(CreateMemoryDto), ExpectedVersion) {}

// ---- lists and search ----

export class PageQuery extends PaginationQuery {
  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  sort_order: 'asc' | 'desc' = 'desc';

  @ApiPropertyOptional({ description: 'full-text search' })
  @IsOptional()
  @MaskPastedKeys()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  search?: string;

  @ApiPropertyOptional({ description: 'comma-separated; matches any' })
  @IsOptional()
  @Transform(commaList)
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(MAX_LABEL_LENGTH, { each: true })
  labels?: string[];
}

export class ListPromptsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['name', 'created_at', 'updated_at'], default: 'updated_at' })
  @IsOptional()
  @IsIn(['name', 'created_at', 'updated_at'])
  sort_by: 'name' | 'created_at' | 'updated_at' = 'updated_at';

  @ApiPropertyOptional({ enum: PROMPT_STATUSES })
  @IsOptional()
  @IsIn(PROMPT_STATUSES)
  status?: (typeof PROMPT_STATUSES)[number];

  @ApiPropertyOptional({
    type: Boolean,
    description: 'only prompts offered (true) or not offered (false) to MCP clients',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  mcp_expose?: boolean;
}

export class ListArtifactsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['created_at', 'updated_at', 'title'], default: 'updated_at' })
  @IsOptional()
  @IsIn(['created_at', 'updated_at', 'title'])
  sort_by: 'created_at' | 'updated_at' | 'title' = 'updated_at';

  @ApiPropertyOptional()
  @IsOptional()
  @IsProject()
  project?: string;

  @ApiPropertyOptional({ enum: ARTIFACT_TYPES })
  @IsOptional()
  @Canonical(TYPE_ALIASES)
  @IsIn(ARTIFACT_TYPES)
  type?: (typeof ARTIFACT_TYPES)[number];

  @ApiPropertyOptional({ enum: ENTRY_STATUSES, description: 'default: everything but archived' })
  @IsOptional()
  @Canonical(STATUS_ALIASES)
  @IsIn(ENTRY_STATUSES)
  status?: (typeof ENTRY_STATUSES)[number];
}

export class ListMemoriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['created_at', 'updated_at'], default: 'updated_at' })
  @IsOptional()
  @IsIn(['created_at', 'updated_at'])
  sort_by: 'created_at' | 'updated_at' = 'updated_at';

  @ApiPropertyOptional()
  @IsOptional()
  @IsProject()
  project?: string;

  @ApiPropertyOptional({ enum: ENTRY_STATUSES, description: 'default: everything but archived' })
  @IsOptional()
  @Canonical(STATUS_ALIASES)
  @IsIn(ENTRY_STATUSES)
  status?: (typeof ENTRY_STATUSES)[number];

  @ApiPropertyOptional({ description: 'URL-encoded JSON {"key": ["v1","v2"]}: every key must match one of its values' })
  @IsOptional()
  @MaskPastedKeys()
  @IsString()
  @MaxLength(4096)
  @ValidateBy({
    name: 'isMetadataFilter',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && parseMetadataFilter(value) !== undefined,
      defaultMessage: () => 'must be a JSON object whose values are a string, number or boolean, or a list of them',
    },
  })
  metadata?: string;
}

type Scalar = string | number | boolean;

/** `{"team": ["a","b"], "env": "prod"}` → `{ team: ["a","b"], env: ["prod"] }`; undefined when not of that shape. */
export function parseMetadataFilter(text: string): Record<string, Scalar[]> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  // A number beyond a double's range (`1e400`) parses as Infinity, which reaches the query as null.
  const isScalar = (value: unknown): value is Scalar =>
    ['string', 'boolean'].includes(typeof value) || (typeof value === 'number' && Number.isFinite(value));
  const filter: Record<string, Scalar[]> = {};
  for (const [key, value] of Object.entries(parsed)) {
    // Stored metadata never holds these (refused when written), and validation on the way would drop them.
    if (RESERVED_KEYS.has(key)) return undefined;
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0 || values.length > 50 || !values.every(isScalar)) return undefined;
    filter[key] = values;
  }
  return Object.keys(filter).length > 20 ? undefined : filter;
}

export const SEARCH_TYPES = ['prompts', 'artifacts', 'memories'] as const;

export class SearchQuery {
  @ApiProperty({ minLength: 1, maxLength: 200 })
  @MaskPastedKeys()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  q: string;

  @ApiPropertyOptional({ description: 'comma-separated subset of prompts,artifacts,memories (repeats count once)' })
  @IsOptional()
  // `types=prompts,prompts` would otherwise search prompts twice and list each hit twice.
  @Transform((params) => {
    const list = commaList(params);
    return Array.isArray(list) ? [...new Set(list)] : list;
  })
  @IsArray()
  @IsIn(SEARCH_TYPES, { each: true })
  types?: (typeof SEARCH_TYPES)[number][];

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  // Search answers its best `limit` results, ranked: a page past the first, or another order, would be silently
  // the same answer (a client paging through it would never stop), so they are refused.
  @ApiPropertyOptional({ enum: [1], description: 'search has one page: the best `limit` results' })
  @IsOptional()
  @QueryInteger()
  @IsIn([1], { message: 'search has no further pages: it answers the best `limit` results (at most 100)' })
  page?: number;

  @ApiPropertyOptional({ enum: ['score'], description: 'results are ranked by score' })
  @IsOptional()
  @IsIn(['score'], { message: 'search results are ranked: sort_by can only be score' })
  sort_by?: 'score';
}

/**
 * `GET …/versions` (PRODUCT.md §5.1), paged as every list (§1). Oldest first by default, the order a history is
 * read in and its version numbers count (and the order before versions were paged); `sort_order=desc` gives the
 * newest first.
 */
export class VersionsQuery extends PaginationQuery {
  @ApiPropertyOptional({ enum: ['version'], default: 'version' })
  @IsOptional()
  @IsIn(['version'], { message: 'versions are listed by version: sort_by can only be version' })
  sort_by?: 'version';

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc', description: 'by version; newest first with desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  sort_order: 'asc' | 'desc' = 'asc';
}
