#!/usr/bin/env node
// `npm test`: builds, starts a throw-away PostgreSQL (embedded, fsync off) on a free port, runs every
// jest suite against it, and always tears it down. Ends with a line `N passed, N failed`.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildPlatform } from './lib/build.mjs';
import { ensureDependencies } from './lib/dependencies.mjs';

const root = resolve(import.meta.dirname, '..');
const say = (message) => process.stderr.write(`[test] ${message}\n`);
// On a fresh clone nothing is installed yet: the servers' module needs node_modules.
ensureDependencies(root, say);
const { ensureChromium, ensureCurl, ensureNatsServer, startPostgres } = await import('./lib/servers.mjs');
const workDir = mkdtempSync(join(tmpdir(), 'vibexp-test-'));
const resultsFile = join(workDir, 'jest-results.json');
let postgres;
let jest;
let finished = false;

async function teardown() {
  if (postgres) await postgres.stop().catch((error) => say(`stopping PostgreSQL: ${error.message}`));
  postgres = undefined;
  rmSync(workDir, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (finished) return;
    finished = true;
    jest?.kill('SIGTERM');
    await teardown();
    process.exit(130);
  });
}

function summary() {
  if (!existsSync(resultsFile)) return { passed: 0, failed: 1 };
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  // A suite that fails to load has no test results: count it as a failure.
  const brokenSuites = results.testResults.filter(
    (suite) => suite.status === 'failed' && suite.assertionResults.length === 0,
  ).length;
  return { passed: results.numPassedTests, failed: results.numFailedTests + brokenSuites };
}

let exitCode = 1;
try {
  // Each suite starts its own nats-server from this path (it may be outside an ordinary user's PATH).
  process.env.NATS_SERVER_BIN ??= ensureNatsServer(say);
  // The dashboard's browser tests (test/e2e/dashboard.browser.e2e.spec.ts) drive it.
  process.env.CHROMIUM_PATH ??= ensureChromium(say);
  ensureCurl(say);
  say('building...');
  buildPlatform(root);
  postgres = await startPostgres({ dataDir: join(workDir, 'postgres'), fast: true });
  say(`PostgreSQL on 127.0.0.1:${postgres.port}`);
  const jestArgs = [
    join(root, 'node_modules/jest/bin/jest.js'),
    '--json',
    `--outputFile=${resultsFile}`,
    ...process.argv.slice(2),
  ];
  jest = spawn(process.execPath, jestArgs, {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, TEST_DATABASE_URL: postgres.urlFor('postgres'), TEST_WORK_DIR: workDir },
  });
  exitCode = await new Promise((resolveExit) => jest.once('exit', (code) => resolveExit(code ?? 1)));
} catch (error) {
  say(`error: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  const { passed, failed } = summary();
  finished = true;
  await teardown();
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(failed > 0 ? 1 : exitCode);
}
