import { type ArgumentsHost, Catch, Logger, type RpcExceptionFilter } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';
import { ContractViolation, DATABASE_UNREACHABLE, type RpcErrorBody, RpcErrorCode, isRpcErrorBody } from '#contracts';
import { ConcurrencyError } from '#event-store';

/** The one reply shape of a failed RPC: `RpcErrorBody`, never a stack trace. */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(readonly body: RpcErrorBody) {
    super(body.message);
  }
}

/** Socket errors of a database connection that could not be made or was lost. */
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);
/**
 * PostgreSQL's SQLSTATEs of a server that is not serving: connection exceptions (class 08), shutting down or
 * starting up (57P01–57P03), out of connections (53300).
 */
const UNAVAILABLE_SQLSTATES = /^(08...|57P0[123]|53300)$/;
/** node-postgres's own words for a connection it lost or could not get from the pool in time. */
const LOST_CONNECTION =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/**
 * Whether an error is the database being out of reach (down, restarting, unreachable), rather than a fault of
 * the request or the code: answered as SERVICE_UNAVAILABLE (the gateway's 503 with Retry-After), not 500.
 * TypeORM wraps the driver's error (`driverError`); a pool error may come as it is.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 4; depth += 1) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (CONNECTION_ERRNOS.has(code) || UNAVAILABLE_SQLSTATES.test(code))) return true;
    if (typeof message === 'string' && LOST_CONNECTION.test(message)) return true;
    current =
      (current as { driverError?: unknown; cause?: unknown }).driverError ?? (current as { cause?: unknown }).cause;
  }
  return false;
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
  if (isDatabaseUnavailable(error)) return { code: RpcErrorCode.Unavailable, message: DATABASE_UNREACHABLE };
  return { code: RpcErrorCode.Internal, message: 'internal error' };
}

@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('RpcErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    if (host.getType() !== 'rpc') throw exception;
    const body = toRpcErrorBody(exception);
    if (body.code === RpcErrorCode.Internal) this.logger.error(exception);
    else if (body.code === RpcErrorCode.Unavailable && !(exception instanceof RpcError))
      this.logger.warn(`database not reachable: ${String(exception)}`);
    return throwError(() => body);
  }
}
