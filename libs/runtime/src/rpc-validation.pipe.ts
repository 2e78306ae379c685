import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { RpcErrorCode } from '#contracts';
import { RpcError } from './rpc-exception.filter';

function flatten(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
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
