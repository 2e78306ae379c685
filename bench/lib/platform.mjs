// Starts a throw-away copy of the platform (`node scripts/start.mjs`) for a benchmark run, and stops it.
//
// The platform gets its own DATA_DIR (a fresh directory under bench/results/, git-ignored, removed
// afterwards) and a free PORT, so it never touches `.data/` or another running copy.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const READY_LINE = /^Dashboard: (http\S+)/;
const NATS_LINE = /^\[vibexp\] NATS \(JetStream\) on (nats:\/\/\S+)/;
const PG_LINE = /^\[vibexp\] PostgreSQL \(embedded\) on 127\.0\.0\.1:(\d+)/;
// A self-contained platform: never reuse servers, hosts or fixed ports from the caller's environment.
const NOT_INHERITED = ['NATS_URL', 'DATABASE_URL', 'NATS_PORT', 'PG_PORT', 'HOST'];
const NOT_INHERITED_PORTS = ['KEY_SERVICE_PORT', 'CONTENT_SERVICE_PORT', 'AUDIT_SERVICE_PORT'];

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Launches the platform. Returns at once with
 *   ready: Promise<{ url, adminToken }>  resolves on the `Dashboard:` line; rejects if start.mjs exits
 *          first or `timeoutMs` passes (the error carries the tail of its output);
 *   stop(): Promise<void>                SIGTERMs start.mjs, waits for it to exit, removes DATA_DIR.
 *          Safe at any stage and more than once.
 * `log` receives start.mjs's own `[vibexp] ...` progress lines.
 */
export function launchPlatform({ root, timeoutMs = 180_000, stopTimeoutMs = 60_000, log = () => {} }) {
  const resultsDir = join(root, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const dataDir = mkdtempSync(join(resultsDir, '.platform-'));
  const adminToken = randomBytes(24).toString('hex');

  let child;
  let natsUrl;
  let pgPort;
  let exited;
  let stopping; // the promise of stop(), once called
  const tail = [];
  const remember = (line) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
  };
  const describeExit = () => `${child.exitCode !== null ? `code ${child.exitCode}` : child.signalCode}`;
  const failure = (message) => new Error(`${message}\n--- last platform output ---\n${tail.join('\n')}`);

  const ready = (async () => {
    const port = await freePort();
    if (stopping) throw new Error('stopped before it started');
    const env = { ...process.env, PORT: String(port), DATA_DIR: dataDir, ADMIN_TOKEN: adminToken };
    for (const name of [...NOT_INHERITED, ...NOT_INHERITED_PORTS]) delete env[name];
    // Own process group: Ctrl-C reaches only the runner, which then stops the platform in order.
    child = spawn(process.execPath, [join(root, 'scripts', 'start.mjs')], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    exited = new Promise((resolveExit) => {
      child.once('exit', resolveExit);
      child.once('error', resolveExit); // did not spawn: there is nothing to wait for
    });

    return new Promise((resolveReady, reject) => {
      const timer = setTimeout(
        () => reject(failure(`the platform printed no "Dashboard:" line within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      const settle = (fn, value) => {
        clearTimeout(timer);
        fn(value);
      };
      child.once('error', (error) => settle(reject, error));
      child.once('exit', () => settle(reject, failure(`the platform exited (${describeExit()}) before it was ready`)));
      // Both pipes are read until they close: the services write their logs to the same stdout, and a
      // pipe nobody drains would block them mid-benchmark.
      createInterface({ input: child.stdout }).on('line', (line) => {
        remember(line);
        const match = READY_LINE.exec(line);
        // The gateway listens on 127.0.0.1; "localhost" may resolve to ::1 first.
        if (match)
          settle(resolveReady, {
            url: `http://127.0.0.1:${new URL(match[1]).port}`,
            adminToken,
            dataDir,
            natsUrl,
            pgPort,
          });
      });
      createInterface({ input: child.stderr }).on('line', (line) => {
        remember(line);
        natsUrl ??= NATS_LINE.exec(line)?.[1];
        pgPort ??= PG_LINE.exec(line)?.[1];
        if (line.startsWith('[vibexp]')) log(line);
      });
    });
  })();
  ready.catch(() => {}); // the caller awaits it; this only keeps an early failure from being "unhandled"

  function stop() {
    stopping ??= (async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => signalGroup('SIGKILL'), stopTimeoutMs);
        await exited;
        clearTimeout(timer);
      }
      // start.mjs stops its services, NATS and PostgreSQL before it exits. If it died early (e.g. during
      // the build) something it ran may remain in its process group: end that too.
      signalGroup('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    })();
    return stopping;
  }

  function signalGroup(signal) {
    if (!child?.pid) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is already empty
    }
  }

  return { ready, stop, dataDir };
}

/**
 * A second gateway instance on the platform's NATS (for the revocation benchmark). Resolves with
 * { url, stop } once its /readyz answers 200.
 */
export async function startExtraGateway({ root, natsUrl, timeoutMs = 60_000 }) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'dist/apps/gateway/src/main.js')], {
    cwd: root,
    env: { PATH: process.env.PATH, NATS_URL: natsUrl, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise((resolveStop) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
      child.once('exit', () => resolveStop());
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`${url}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return { url, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error('the second gateway did not become ready');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
