import { type ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { Request } from 'express';
import { isJsonObject, notAnObject, validationProblem } from './validation.pipe';

/**
 * The body of an action that takes none (restore a version, acknowledge an alert, revoke a key, log out):
 * `@NoBody() _none: undefined` takes no body or `{}` and refuses anything else with 400 `VALIDATION_FAILED`,
 * as strict DTOs do (PRODUCT.md §1): a field sent there is a client's mistake, not something to ignore. A
 * parameter decorator of its own rather than `@Body()` of an empty class, which OpenAPI would document as a
 * required body.
 */
export const NoBody = createParamDecorator((_data: unknown, context: ExecutionContext): undefined => {
  const body = context.switchToHttp().getRequest<Request>().body as unknown;
  if (body === undefined) return undefined;
  if (!isJsonObject(body)) throw notAnObject();
  const fields = Object.keys(body);
  if (fields.length > 0)
    throw validationProblem(fields.map((field) => ({ field, message: `property ${field} should not exist` })));
  return undefined;
});
