import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { RpcErrorCode } from '#contracts';
import { RpcError } from './rpc-exception.filter';

/**
 * Checks of what a value is. When one fails, the others on the field (its length, its range) only
 * repeat the mistake: a missing name is "must be a string", not also "must be shorter than 100".
 */
const TYPE_CHECKS = [
  'isDefined',
  'isString',
  'isInt',
  'isNumber',
  'isBoolean',
  'isArray',
  'isObject',
  'isIn',
  'isUUID',
];

function messagesOf(constraints: Record<string, string>): string[] {
  const typeCheck = TYPE_CHECKS.find((name) => name in constraints);
  return typeCheck ? [constraints[typeCheck]] : Object.values(constraints);
}

function flatten(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = messagesOf(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

export { flatten as flattenValidationErrors };

/**
 * Validates every RPC payload against its DTO class, as strictly as HTTP input: unknown fields are
 * refused, and the reply names each bad field.
 */
export function createRpcValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validateCustomDecorators: false,
    exceptionFactory: (errors) =>
      new RpcError({
        code: RpcErrorCode.ValidationFailed,
        message: 'the request is not valid',
        validation_errors: flatten(errors),
      }),
  });
}
