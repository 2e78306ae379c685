import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';

/** Paths that are never files: skip the static handler (and its stat call) on the API's hot path. */
const NOT_STATIC = /^\/(api|admin|mcp|oauth|\.well-known)\/|^\/(healthz|readyz|metrics)$/;

/**
 * The dashboard's static files: the built web app when present (apps/web/dist), otherwise the
 * gateway's own start page.
 */
export function serveDashboard(app: INestApplication): void {
  const root = process.cwd();
  const built = join(root, 'apps/web/dist');
  const isBuilt = existsSync(built);
  const directory = isBuilt ? built : join(root, 'apps/gateway/public');
  const serveStatic = express.static(directory, {
    index: 'index.html',
    setHeaders: (response, path) => {
      // The page is asked for again each time (it names the current build's files); those files have the
      // hash of their content in their name, so they never change and are kept.
      response.setHeader(
        'Cache-Control',
        relative(directory, path).startsWith(`assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
      // The built app loads only its own files and talks only to this origin; a script injected into a
      // page could not load more code or send the session's data elsewhere.
      if (isBuilt) response.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    },
  });
  app.use((request: Request, response: Response, next: NextFunction) =>
    NOT_STATIC.test(request.path) ? next() : serveStatic(request, response, next),
  );
}

/** The policy's directives but `style-src`, which differs between the dashboard and the API docs. */
const SHARED_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
];

export const DASHBOARD_CSP = [...SHARED_CSP, "style-src 'self'"].join('; ');

/**
 * Swagger UI at /api/docs: the dashboard's policy, but its page carries inline `<style>` blocks and the UI sets
 * style attributes, so styles may be inline. Scripts stay the gateway's own files: anyone reaching the page
 * with a session cookie (its "Try it out" sends it) runs no script but Swagger UI's.
 */
export const API_DOCS_CSP = [...SHARED_CSP, "style-src 'self' 'unsafe-inline'"].join('; ');

/** Puts API_DOCS_CSP on everything under `path`: Swagger UI's page and its files. */
export function protectApiDocs(app: INestApplication, path: string): void {
  app.use(path, (_request: Request, response: Response, next: NextFunction) => {
    response.setHeader('Content-Security-Policy', API_DOCS_CSP);
    next();
  });
}
