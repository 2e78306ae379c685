// `npm run build`: the same build as `npm start` and `npm test` (scripts/lib/build.mjs).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPlatform } from './lib/build.mjs';

try {
  buildPlatform(join(dirname(fileURLToPath(import.meta.url)), '..'));
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
