import type { NextFunction, Request, Response } from 'express';
import type { JsonLogger } from '../logging/logger';

/** Probes are polled constantly; logging them would bury the requests that matter. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** One JSON line per request (the request id comes from the logger's context). Never the query or headers. */
export function accessLogMiddleware(logger: JsonLogger) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (QUIET_PATHS.has(request.path)) return next();
    const startedAt = process.hrtime.bigint();
    response.once('finish', () => {
      logger.info(
        {
          method: request.method,
          path: request.path,
          status: response.statusCode,
          duration_ms: Number((process.hrtime.bigint() - startedAt) / 1000n) / 1000,
        },
        'request',
      );
    });
    next();
  };
}
