import {
  type ArgumentMetadata,
  HttpStatus,
  Injectable,
  type PipeTransform,
  ValidationPipe,
  type ValidationError,
} from '@nestjs/common';
import { ProblemError } from '#common';
import { flattenValidationErrors } from '#runtime';

const failed = (errors: ValidationError[]): ProblemError =>
  new ProblemError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'the request is not valid: see validation_errors', {
    validationErrors: flattenValidationErrors(errors),
  });

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
      return this.body.transform(value, metadata);
    }
    return this.other.transform(value, metadata);
  }
}
