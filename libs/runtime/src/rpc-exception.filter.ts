import { type ArgumentsHost, Catch, Logger, type RpcExceptionFilter } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';
import { ContractViolation, type RpcErrorBody, RpcErrorCode, isRpcErrorBody } from '#contracts';
import { ConcurrencyError } from '#event-store';

/** The one reply shape of a failed RPC: `RpcErrorBody`, never a stack trace. */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(readonly body: RpcErrorBody) {
    super(body.message);
  }
}

export function toRpcErrorBody(error: unknown): RpcErrorBody {
  if (error instanceof RpcError) return error.body;
  // Typed errors of a service's domain carry an RpcErrorCode and a message; send a plain copy.
  if (isRpcErrorBody(error)) {
    const { code, message, validation_errors } = error;
    return validation_errors ? { code, message, validation_errors } : { code, message };
  }
  if (error instanceof ContractViolation) return { code: RpcErrorCode.MalformedRequest, message: error.message };
  if (error instanceof ConcurrencyError) {
    return {
      code: RpcErrorCode.VersionConflict,
      message: 'the resource was changed by another request; reload it and retry',
    };
  }
  return { code: RpcErrorCode.Internal, message: 'internal error' };
}

@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('RpcErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    if (host.getType() !== 'rpc') throw exception;
    const body = toRpcErrorBody(exception);
    if (body.code === RpcErrorCode.Internal) this.logger.error(exception);
    return throwError(() => body);
  }
}
