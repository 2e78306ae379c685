import {
  type ArgumentMetadata,
  HttpStatus,
  Injectable,
  type PipeTransform,
  ValidationPipe,
  type ValidationError,
} from '@nestjs/common';
import { ProblemError, type ValidationErrorItem } from '#common';
import { flattenValidationErrors } from '#runtime';

const validationProblem = (validationErrors: ValidationErrorItem[]): ProblemError =>
  new ProblemError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'the request is not valid: see validation_errors', {
    validationErrors,
  });
const failed = (errors: ValidationError[]): ProblemError => validationProblem(flattenValidationErrors(errors));

/**
 * Where a parsed body holds a `__proto__` key, if anywhere. JSON.parse makes it an own property, which
 * class-transformer would then assign as the DTO's prototype: fields the client did not send would be
 * inherited from it, unchecked by the whitelist. So it is refused like any unknown field.
 */
function protoKeyPath(value: unknown, path: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const found = protoKeyPath(value[index], `${path}[${index}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key;
    if (key === '__proto__') return here;
    const found = protoKeyPath((value as Record<string, unknown>)[key], here);
    if (found) return found;
  }
  return undefined;
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

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'body') {
      // No body at all (POST …/rotate without one) is an empty object; anything else must be one.
      if (value === undefined) value = {};
      if (
        metadata.metatype &&
        metadata.metatype !== Object &&
        (typeof value !== 'object' || value === null || Array.isArray(value))
      ) {
        throw new ProblemError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'the request body must be a JSON object', {
          validationErrors: [{ field: '(body)', message: 'must be a JSON object' }],
        });
      }
      const protoKey = protoKeyPath(value, '');
      if (protoKey) {
        throw validationProblem([{ field: protoKey, message: 'property __proto__ should not exist' }]);
      }
      return this.body.transform(value, metadata);
    }
    return this.other.transform(value, metadata);
  }
}
