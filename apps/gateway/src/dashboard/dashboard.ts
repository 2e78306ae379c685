import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import express from 'express';

/**
 * The dashboard's static files: the built web app when present (apps/web/dist), otherwise the
 * gateway's own start page.
 */
export function serveDashboard(app: INestApplication): void {
  const root = process.cwd();
  const built = join(root, 'apps/web/dist');
  const directory = existsSync(built) ? built : join(root, 'apps/gateway/public');
  app.use(express.static(directory, { index: 'index.html', maxAge: '5m' }));
}
