// The one build of `npm start`, `npm test` and `npm run build`: the services and the CLI (tsc, incremental)
// and the dashboard (Vite, apps/web → apps/web/dist, which the gateway serves at `/`).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export function buildPlatform(root) {
  const steps = [
    ['TypeScript', [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']],
    ['the dashboard', [join(root, 'node_modules/vite/bin/vite.js'), 'build', 'apps/web', '--logLevel', 'warn']],
  ];
  for (const [what, args] of steps) {
    const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`the build of ${what} failed`);
  }
}
