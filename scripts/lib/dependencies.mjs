// Node built-ins only: this runs before anything from node_modules can be imported.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs `npm ci` when `node_modules` is missing (a fresh clone), so that `npm start` and `npm test` work with
 * nothing installed. Their own modules (PostgreSQL's client, embedded PostgreSQL) are imported after this.
 * npm's output goes to stderr: stdout carries only what the scripts print (the dashboard URL, the test summary).
 */
export function ensureDependencies(root, say) {
  if (existsSync(join(root, 'node_modules'))) return;
  say('installing dependencies (npm ci)...');
  try {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 2, 2] });
  } catch {
    say('error: npm ci failed (see above)');
    process.exit(1);
  }
}
