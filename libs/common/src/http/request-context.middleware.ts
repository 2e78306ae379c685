import type { NextFunction, Request, Response } from 'express';
import { acceptOrGenerateRequestId, runWithRequestContext } from '../logging/request-context';

/** The security headers every response carries (PRODUCT.md §1), also on answers written by hand. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

/**
 * First middleware of every HTTP surface: request id (PRODUCT.md §1) and the security headers that
 * every response carries.
 */
export function requestContextMiddleware(request: Request, response: Response, next: NextFunction): void {
  const requestId = acceptOrGenerateRequestId(request.headers['x-request-id']);
  response.setHeader('X-Request-Id', requestId);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
  runWithRequestContext({ requestId }, next);
}
