import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';

/** Paths that are never files: skip the static handler (and its stat call) on the API's hot path. */
const NOT_STATIC = /^\/(api|admin|mcp)\/|^\/(healthz|readyz|metrics)$/;

/**
 * The dashboard's static files: the built web app when present (apps/web/dist), otherwise the
 * gateway's own start page.
 */
export function serveDashboard(app: INestApplication): void {
  const root = process.cwd();
  const built = join(root, 'apps/web/dist');
  const directory = existsSync(built) ? built : join(root, 'apps/gateway/public');
  const serveStatic = express.static(directory, { index: 'index.html', maxAge: '5m' });
  app.use((request: Request, response: Response, next: NextFunction) =>
    NOT_STATIC.test(request.path) ? next() : serveStatic(request, response, next),
  );
}
