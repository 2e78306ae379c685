import type { NextFunction, Request, Response } from 'express';
import type { JsonLogger } from '../logging/logger';
import { whenAnswered } from './when-answered';

/** Probes are polled constantly; logging them would bury the requests that matter. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One JSON line per request (the request id comes from the logger's context), never the query or
 * headers. Successful requests log at `debug`: every API-key request is already an event (key.used),
 * and a line per request would cost the gateway a tenth of its throughput. Refusals and errors log at
 * `info` / `warn`.
 */
export function accessLogMiddleware(logger: JsonLogger) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (QUIET_PATHS.has(request.path)) return next();
    const startedAt = process.hrtime.bigint();
    // On the connection's close, so that a request the client left before its answer is logged too (status 499).
    whenAnswered(response, (status) => {
      const level = status >= 500 ? 'warn' : status >= 400 ? 'info' : 'debug';
      if (!logger.isLevelEnabled(level)) return;
      logger.at(
        level,
        {
          method: request.method,
          path: request.path,
          status,
          duration_ms: Number((process.hrtime.bigint() - startedAt) / 1000n) / 1000,
        },
        'request',
      );
    });
    next();
  };
}
