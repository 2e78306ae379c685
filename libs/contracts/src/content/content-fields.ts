import { Transform, type TransformFnParams } from 'class-transformer';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import { isUuid } from '../envelope';
import { containsPastedKey } from '../pasted-keys';

/** Field rules of PRODUCT.md §5 shared by the three content kinds. */
export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const PROJECT_SEGMENT = /^[A-Za-z0-9._-]+$/;
export const MAX_LABELS = 10;
export const MAX_LABEL_LENGTH = 50;
export const MAX_METADATA_BYTES = 16 * 1024;
export const MAX_ARTIFACT_CONTENT_BYTES = 1024 * 1024;

/** `my-app/backend`: 1–80 characters, segments of [A-Za-z0-9._-], no empty, `.` or `..` segment. */
export function isValidProject(value: unknown): value is string {
  if (typeof value !== 'string' || value.length < 1 || value.length > 80) return false;
  // A project names the item in events and paths: a key pasted there would travel with them.
  if (containsPastedKey(value)) return false;
  return value.split('/').every((segment) => PROJECT_SEGMENT.test(segment) && segment !== '.' && segment !== '..');
}

export const IsProject = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isProject',
      validator: {
        validate: isValidProject,
        defaultMessage: (args) =>
          typeof args?.value === 'string' && containsPastedKey(args.value)
            ? 'must not contain an API key'
            : 'must be 1–80 characters: segments of letters, digits, ".", "_" or "-" joined by "/" (no empty, "." or ".." segment)',
      },
    },
    options,
  );

/** Labels: trimmed, de-duplicated, always an array (PRODUCT.md §5.1). */
export const NormalizeLabels = (): PropertyDecorator =>
  Transform(({ value }: TransformFnParams) =>
    Array.isArray(value)
      ? [...new Set(value.map((label: unknown) => (typeof label === 'string' ? label.trim() : label)))]
      : value,
  );

/**
 * A free-form object (metadata, placeholder values) kept exactly as sent. class-transformer, which copies a
 * body into its DTO, skips keys named like a member every object has (`constructor`, `toString`, `valueOf`…),
 * so `{"toString": "x"}` would be stored as `{}`. The object's own rules (IsMetadata…) still check it.
 * (`__proto__`, `constructor` and `prototype` never get here: the gateway refuses them, see forbiddenInput.)
 */
export const KeptAsSent = (): PropertyDecorator =>
  Transform(({ obj, key }: TransformFnParams) => (obj as Record<string, unknown>)[key]);

export const IsMetadata = (): PropertyDecorator =>
  ValidateBy({
    name: 'isMetadata',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Buffer.byteLength(JSON.stringify(value)) <= MAX_METADATA_BYTES,
      defaultMessage: () => `must be a JSON object of at most ${MAX_METADATA_BYTES / 1024} KiB`,
    },
  });

export const MaxBytes = (max: number): PropertyDecorator =>
  ValidateBy({
    name: 'maxBytes',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && Buffer.byteLength(value) <= max,
      defaultMessage: () => `must be at most ${max} bytes`,
    },
  });

/** Something to show: a name of spaces only would list as blank and derive the fallback slug. */
export const NotBlank = (): PropertyDecorator =>
  ValidateBy({
    name: 'isNotBlank',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || /\S/.test(value),
      defaultMessage: () => 'must not be blank',
    },
  });

/** Alias spellings accepted and stored canonically: `work-reports` → `work_reports`, `expired` → `archived`. */
export const Canonical = (aliases: Record<string, string>): PropertyDecorator =>
  Transform(({ value }: TransformFnParams) => (typeof value === 'string' && value in aliases ? aliases[value] : value));

/**
 * A name turned into a slug: lower case, runs of anything else become one "-". A name that is itself a
 * UUID gets the fallback in front, since a path takes an id or a slug and would read it as the id.
 */
export function slugify(text: string, fallback: string): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 200)
    .replace(/-+$/, '');
  if (isUuid(slug)) return `${fallback}-${slug}`;
  return slug || fallback;
}
