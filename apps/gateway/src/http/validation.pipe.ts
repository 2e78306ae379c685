import {
  type ArgumentMetadata,
  HttpStatus,
  Injectable,
  type PipeTransform,
  ValidationPipe,
  type ValidationError,
} from '@nestjs/common';
import { ProblemError, type ValidationErrorItem } from '#common';
import { RESERVED_KEYS, maskPastedKeys } from '#contracts';
import { flattenValidationErrors } from '#runtime';

export const validationProblem = (validationErrors: ValidationErrorItem[]): ProblemError =>
  new ProblemError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'the request is not valid: see validation_errors', {
    validationErrors,
  });
const failed = (errors: ValidationError[]): ProblemError => validationProblem(flattenValidationErrors(errors));

export const isJsonObject = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A body that is JSON but no object (`null`, `[]`, `"x"`) where a DTO's object is expected. */
export const notAnObject = (): ProblemError =>
  new ProblemError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'the request body must be a JSON object', {
    validationErrors: [{ field: '(body)', message: 'must be a JSON object' }],
  });

const MAX_DEPTH = 32;

/** A NUL, or half of a surrogate pair (`"\ud800"` is valid JSON, but not Unicode): text PostgreSQL cannot store. */
const UNSTORABLE = /[\0\p{Cs}]/u;

function unstorable(text: string): string | undefined {
  const found = UNSTORABLE.exec(text)?.[0];
  if (found === undefined) return undefined;
  return found === '\0'
    ? 'must not contain a NUL character (\\u0000)'
    : `must be valid Unicode: a lone surrogate (${escaped(found)}) is not a character`;
}

/** A field name as it can be shown: its unstorable characters as \uXXXX escapes. */
function escaped(text: string): string {
  return text.replace(
    new RegExp(UNSTORABLE.source, 'gu'),
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** What a body read without a DTO, a query or a path may not hold as a key (Nest strips nothing there). */
const PROTO_KEY: ReadonlySet<string> = new Set(['__proto__']);

/**
 * The first part of a request's input that no DTO rule may see, if any, with why:
 * - a `__proto__` key: JSON.parse makes it an own property, which class-transformer would then assign
 *   as the DTO's prototype, so fields the client did not send would be inherited from it, unchecked by
 *   the whitelist. Refused like any unknown field. In a body validated by a DTO, so are `constructor` and
 *   `prototype` keys (`reserved`: RESERVED_KEYS), at any depth, metadata included: Nest's ValidationPipe
 *   deletes all three silently there, and a write would lose them.
 * - a NUL character or a lone surrogate in a string or key: PostgreSQL cannot store either, so the write
 *   would fail deep in a service as a 500. Refused up front, nothing stored.
 * - a number too large for a double (`1e400`): JSON.parse reads it as Infinity, which JSON.stringify writes
 *   as null, so the value would be stored as null while the request succeeded. Refused, nothing stored.
 */
export function forbiddenInput(
  value: unknown,
  path: string,
  reserved: ReadonlySet<string> = PROTO_KEY,
  depth = 0,
): ValidationErrorItem | undefined {
  if (typeof value === 'string') {
    const message = unstorable(value);
    return message ? { field: path || '(body)', message } : undefined;
  }
  if (typeof value === 'number' && !Number.isFinite(value))
    return { field: path || '(body)', message: 'must be a number within ±1.7976931348623157e308' };
  if (typeof value !== 'object' || value === null) return undefined;
  // No DTO nests this deep; a body that does (`{"a":{"a":…}}`, 200,000 levels fit in 2 MiB) would overflow the stack.
  if (depth >= MAX_DEPTH) return { field: path || '(body)', message: `is nested more than ${MAX_DEPTH} levels deep` };
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const found = forbiddenInput(value[index], `${path}[${index}]`, reserved, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key;
    if (reserved.has(key))
      return { field: here, message: `is a reserved name: ${[...reserved].join(', ')} cannot be keys` };
    const message = unstorable(key);
    if (message) return { field: escaped(here), message };
    const found = forbiddenInput((value as Record<string, unknown>)[key], here, reserved, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Where @nestjs/swagger keeps a DTO property's OpenAPI description (copied by PartialType and friends). */
const API_PROPERTY = 'swagger/apiModelProperties';
const NOT_DTO = new Set<unknown>([String, Number, Boolean, Object, Array, Date]);
const isDtoClass = (type: unknown): type is abstract new () => unknown =>
  typeof type === 'function' && !NOT_DTO.has(type) && typeof type.prototype === 'object';

/**
 * The first field of a DTO (or of a DTO nested in it, alone or in a list) that the DTO's own checks would misread:
 * - one sent as `null` that the DTO does not declare nullable (OpenAPI `nullable: true`). class-validator's
 *   @IsOptional lets null through as if the field were absent, and a service would then take it for a value:
 *   `{"name": null}` on an update reached PostgreSQL as a NOT NULL violation (500);
 * - one named like a member every object has: `constructor`, `toString`, `hasOwnProperty`… class-transformer
 *   skips such names when it copies a body into its DTO, so the whitelist never sees them and `{"toString": 1}`
 *   would pass as if it were not there. Refused like any other unknown field. (Free-form objects such as
 *   metadata are no DTO: their keys are data.)
 */
export function misreadField(
  dto: abstract new () => unknown,
  body: object,
  path = '',
): ValidationErrorItem | undefined {
  for (const [field, value] of Object.entries(body)) {
    const here = path ? `${path}.${field}` : field;
    if (field in Object.prototype) return { field: here, message: `property ${field} should not exist` };
    const property = Reflect.getMetadata(API_PROPERTY, dto.prototype as object, field) as
      { nullable?: boolean; required?: boolean; type?: unknown } | undefined;
    if (!property) continue; // an unknown field: the whitelist refuses it
    if (value === null) {
      if (!property.nullable)
        return {
          field: here,
          message: property.required === false ? 'must not be null: leave the field out instead' : 'must not be null',
        };
    } else if (isDtoClass(property.type) && typeof value === 'object') {
      for (const [index, item] of (Array.isArray(value) ? value : [value]).entries()) {
        if (typeof item !== 'object' || item === null) continue;
        const nested = misreadField(property.type, item as object, Array.isArray(value) ? `${here}[${index}]` : here);
        if (nested) return nested;
      }
    }
  }
  return undefined;
}

/**
 * The body fields people write free text in, on every route that takes them: content (a prompt's `name`,
 * `description` and `body`, an artifact's `title` and `content`, a memory's `text`, `labels`, `metadata`), a
 * key's or account's `name`, an alert resolution's `note`, a render's `placeholders`. Exact values (a
 * project, a URL, an OAuth `state` or PKCE verifier, a password) are not text to rewrite: a project or a
 * webhook URL that holds a key is refused by its own check instead.
 */
const FREE_TEXT_FIELDS = new Set([
  'name',
  'description',
  'body',
  'title',
  'content',
  'text',
  'labels',
  'metadata',
  'note',
  'placeholders',
]);

/**
 * A validated body with every whole API key pasted into its free text masked (maskPastedKeys), in place,
 * before any service, event or NATS message sees it: a memory that quotes a key, a key named after one, an
 * alert note. (The leak report, which must read the key, takes its body as it comes.)
 */
function withPastedKeysMasked(body: unknown): unknown {
  if (body === null || typeof body !== 'object') return body;
  const fields = body as Record<string, unknown>;
  for (const [field, value] of Object.entries(fields))
    if (FREE_TEXT_FIELDS.has(field)) fields[field] = maskedText(value);
  return body;
}

/** Every string in a free-text value, the keys of a free-form object (metadata) included. */
function maskedText(value: unknown): unknown {
  if (typeof value === 'string') return maskPastedKeys(value);
  if (Array.isArray(value)) return value.map(maskedText);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [maskPastedKeys(key), maskedText(inner)]));
}

/**
 * Strict DTOs (PRODUCT.md §1): an unknown body field is a 400; unknown query parameters are ignored
 * (clients add cache-busters), but every known one is validated.
 */
@Injectable()
export class HttpValidationPipe implements PipeTransform {
  private readonly body = new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: failed,
  });
  private readonly other = new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: false,
    transform: true,
    exceptionFactory: failed,
  });

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      // No body at all (POST …/rotate without one) is an empty object; anything else must be one.
      if (value === undefined) value = {};
      // A body read as it comes (`@Body() body: unknown`, the leak report) has no DTO to say which fields may be
      // null, and Nest strips no key from it.
      const declared = metadata.metatype && metadata.metatype !== Object ? metadata.metatype : undefined;
      if (declared && !isJsonObject(value)) throw notAnObject();
      const forbidden = forbiddenInput(value, '', declared ? RESERVED_KEYS : PROTO_KEY);
      if (forbidden) throw validationProblem([forbidden]);
      const misread = declared && misreadField(declared, value as object);
      if (misread) throw validationProblem([misread]);
      const body: unknown = await this.body.transform(value, metadata);
      return declared ? withPastedKeysMasked(body) : body;
    }
    if (metadata.type === 'query' || metadata.type === 'param') {
      // A query parameter or path segment such as `%00` decodes to a NUL too.
      const forbidden = forbiddenInput(value, metadata.type === 'param' ? (metadata.data ?? '') : '');
      if (forbidden) throw validationProblem([forbidden]);
    }
    if (metadata.type === 'query' && isJsonObject(value)) {
      // `labels[]=a` or `status[x]=draft` (PHP's, some axios setups') would be an unknown name, ignored: the
      // client would get the unfiltered list as if it were filtered.
      const bracketed = Object.keys(value).find((name) => name.includes('['));
      if (bracketed)
        throw validationProblem([
          {
            field: maskPastedKeys(bracketed).slice(0, 100),
            message: 'is not read: send each parameter once by its plain name, a list comma-separated (labels=a,b)',
          },
        ]);
    }
    // A key pasted into any query parameter (an email filter, an action, a project) is masked before the query
    // crosses NATS, as in a body's free text; no parameter takes a whole key.
    if (metadata.type === 'query' && isJsonObject(value)) value = maskedText(value);
    return this.other.transform(value, metadata);
  }
}
