import { HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MCP_PATH } from './oauth-protocol';

/**
 * Routes a browser-based MCP client (the MCP Inspector, a web IDE) calls from its own origin: discovery,
 * registration, tokens, and the MCP endpoint. None of them reads a cookie (they take bearer tokens or no
 * credentials at all), so any origin may call them; the dashboard's cookie routes stay same-origin.
 */
const CROSS_ORIGIN_PATHS = new Set([
  '/.well-known/oauth-authorization-server',
  '/.well-known/oauth-protected-resource',
  `/.well-known/oauth-protected-resource${MCP_PATH}`,
  '/oauth/register',
  '/oauth/token',
  '/oauth/revoke',
  MCP_PATH,
]);

/** CORS for those routes; a preflight is answered here, before authentication (it carries no credentials). */
export function oauthCors(request: Request, response: Response, next: NextFunction): void {
  if (!CROSS_ORIGIN_PATHS.has(request.path)) return next();
  response.setHeader('Access-Control-Allow-Origin', '*');
  response.setHeader(
    'Access-Control-Expose-Headers',
    'WWW-Authenticate, X-Request-Id, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset',
  );
  if (request.method !== 'OPTIONS' || request.headers['access-control-request-method'] === undefined) return next();
  response.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
  response.setHeader(
    'Access-Control-Allow-Headers',
    'Authorization, Content-Type, Accept, MCP-Protocol-Version, Mcp-Session-Id, Last-Event-ID',
  );
  response.setHeader('Access-Control-Max-Age', '600');
  response.status(HttpStatus.NO_CONTENT).end();
}
