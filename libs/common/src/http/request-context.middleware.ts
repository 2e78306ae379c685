import type { NextFunction, Request, Response } from 'express';
import { acceptOrGenerateRequestId, runWithRequestContext } from '../logging/request-context';

/**
 * First middleware of every HTTP surface: request id (PRODUCT.md §1) and the security headers that
 * every response carries.
 */
export function requestContextMiddleware(request: Request, response: Response, next: NextFunction): void {
  const requestId = acceptOrGenerateRequestId(request.headers['x-request-id']);
  response.setHeader('X-Request-Id', requestId);
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('X-Frame-Options', 'DENY');
  runWithRequestContext({ requestId }, next);
}
