#!/usr/bin/env node
// `npm start`: the whole platform on one machine. Starts NATS (JetStream) and embedded PostgreSQL
// (unless NATS_URL / DATABASE_URL point at running servers), builds if needed, runs the four
// services, restarts one that dies (and NATS or PostgreSQL when they die), and prints the dashboard
// URL. Ctrl-C / SIGTERM stops it all.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { buildPlatform } from './lib/build.mjs';
import { ensureDependencies } from './lib/dependencies.mjs';

const root = resolve(import.meta.dirname, '..');
const say = (message) => process.stderr.write(`[vibexp] ${message}\n`);
// On a fresh clone nothing is installed yet: what follows needs node_modules.
ensureDependencies(root, say);
const { default: pg } = await import('pg');
const {
  RESTART_RESET_AFTER_MS,
  SERVICE_DATABASES,
  freePort,
  natsThreads,
  restartDelay,
  startNats,
  startPostgres,
  stopChild,
  superviseServer,
} = await import('./lib/servers.mjs');

/**
 * Node flags per service. The gateway allocates a little for every request at thousands of requests
 * per second: a larger young generation means fewer scavenges (measured in bench/: +3 to 5 % req/s, at a
 * time when requests survived scavenges; since PrototypeStableExpressAdapter they do not, and an A/B
 * against the default showed no difference beyond the noise). Keep in step with docker-compose.yml.
 */
const NODE_FLAGS = { gateway: ['--max-semi-space-size=32'] };

const env = process.env;
/**
 * What every service inherits from this environment: all of it but the gateway's own settings, which
 * only the gateway is given (the admin token is a secret the other services have no use for).
 */
const GATEWAY_ONLY = ['ADMIN_TOKEN', 'PORT', 'TRUSTED_PROXIES'];
const INHERITED_ENV = Object.fromEntries(Object.entries(env).filter(([name]) => !GATEWAY_ONLY.includes(name)));
/** The gateway's own settings that are set here (its PORT is the one chosen below). */
const GATEWAY_ENV = Object.fromEntries(
  Object.entries(env).filter(([name, value]) => GATEWAY_ONLY.includes(name) && value),
);

/** Exit code of a refused environment (EX_CONFIG), as the services use: nothing to retry until it is changed. */
const CONFIG_ERROR_EXIT = 78;

function fail(message, code = 1) {
  say(`error: ${message}`);
  process.exit(code);
}

/** Bad variables found before anything starts, reported together, one line each. */
const problems = [];

/**
 * A whole decimal number from `min` to `max`, or `fallback` when the variable is unset. As in the services, `0x10`,
 * `1e3`, `12.5` and an empty value are refused (Number() would take the first three, and read '' as 0).
 */
function wholeNumber(name, min, max, fallback, rule) {
  if (env[name] === undefined) return fallback;
  // Spaces around are forgiven, as the services forgive them.
  const raw = env[name].trim();
  const value = /^[0-9]{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (value >= min && value <= max) return value;
  problems.push(`${name}=${JSON.stringify(env[name])}: ${rule}`);
  return fallback;
}

const portNumber = (name, fallback) => wholeNumber(name, 1, 65535, fallback, 'must be a port number (1-65535)');

/**
 * How a refused connection URL is shown: its scheme, host and path only (never its credentials or options, where a
 * password can sit too), or nothing when it is no URL with a host (a libpq `key=value` string, a JDBC URL).
 */
function shownUrl(name, text) {
  try {
    const url = new URL(text);
    if (url.host)
      return `${name}=${JSON.stringify(`${url.protocol}//${url.host}${url.pathname}`)} (credentials and options not shown)`;
  } catch {
    // Not a URL: shown by name only.
  }
  return `${name} (value not shown)`;
}

/** The launcher connects to DATABASE_URL itself, before any service checks it; its password is never printed. */
function checkDatabaseUrl() {
  const raw = env.DATABASE_URL;
  if (!raw) return;
  try {
    if (['postgres:', 'postgresql:'].includes(new URL(raw).protocol)) return;
  } catch {
    // Refused below, like any other URL that is not a postgres:// one.
  }
  problems.push(
    `${shownUrl('DATABASE_URL', raw)}: must be the postgres:// URL of a running PostgreSQL server (postgres://user:password@host:port, the port a number)`,
  );
}

function portIsFree(port) {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

function processIsAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Seconds to wait for the platform to be ready: a service migrating a large database answers only when done. */
const startTimeoutSeconds = () =>
  wholeNumber('START_TIMEOUT_SECONDS', 10, 86_400, 120, 'must be a whole number of seconds from 10 to 86400');

/** KEY_SERVICE_PORT for key-service: the fixed health/metrics port a user may give a service. */
const portVariableOf = (service) => `${service.replace('-', '_').toUpperCase()}_PORT`;
const port = portNumber('PORT', 3000);
// NATS_PORT and PG_PORT are for the servers npm start runs, not for ones NATS_URL / DATABASE_URL point at.
const fixedPorts = {
  PORT: port,
  NATS_PORT: env.NATS_URL ? undefined : portNumber('NATS_PORT'),
  PG_PORT: env.DATABASE_URL ? undefined : portNumber('PG_PORT'),
};
for (const service of Object.keys(SERVICE_DATABASES))
  fixedPorts[portVariableOf(service)] = portNumber(portVariableOf(service));
const readyTimeoutSeconds = startTimeoutSeconds();
// Read when NATS starts; checked here too, so that a bad value is refused with the others, before building.
if (!env.NATS_URL) {
  try {
    natsThreads();
  } catch (error) {
    problems.push(error.message);
  }
}
checkDatabaseUrl();
if (problems.length > 0) {
  for (const problem of problems) say(`error: ${problem}`);
  process.exit(CONFIG_ERROR_EXIT);
}
const dataDir = resolve(env.DATA_DIR || join(root, '.data'));

mkdirSync(dataDir, { recursive: true });
const lockFile = join(dataDir, 'start.pid');
if (existsSync(lockFile)) {
  const pid = Number(readFileSync(lockFile, 'utf8'));
  if (pid && pid !== process.pid && processIsAlive(pid)) {
    fail(
      `another \`npm start\` (pid ${pid}) is using DATA_DIR=${dataDir}. To run a second copy, give it its own DATA_DIR and PORT.`,
    );
  }
}
writeFileSync(lockFile, String(process.pid));
// However it ends (a failed build, a signal before the children start, a crash), the lock goes with it.
process.on('exit', () => rmSync(lockFile, { force: true }));
for (const [variable, fixed] of Object.entries(fixedPorts)) {
  if (fixed !== undefined && !(await portIsFree(fixed))) {
    rmSync(lockFile, { force: true });
    fail(`${variable}=${fixed} is already in use on 127.0.0.1: set ${variable} to a free port.`, CONFIG_ERROR_EXIT);
  }
}

// After the checks above: a second copy, or a taken port, is refused at once instead of after a build.
say('building (incremental)...');
try {
  buildPlatform(root);
} catch (error) {
  fail(error.message);
}

const cleanups = [];
const children = new Map();
let stopping = false;

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  say('stopping...');
  await Promise.all([...children.values()].map((child) => stopChild(child)));
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => say(`cleanup: ${error.message}`));
  rmSync(lockFile, { force: true });
  say('stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

/** What the launcher does when NATS or PostgreSQL dies: restart it; after repeated failures, stop everything. */
const serverSupervision = {
  log: say,
  isStopping: () => stopping,
  giveUp: (reason) => {
    say(`error: ${reason}; stopping the platform.`);
    void shutdown(1);
  },
};

try {
  let natsUrl = env.NATS_URL;
  if (!natsUrl) {
    const natsDir = join(dataDir, 'nats');
    const nats = await startNats({ dataDir: natsDir, port: fixedPorts.NATS_PORT, log: say });
    const supervised = superviseServer({
      name: 'NATS (nats-server)',
      server: nats,
      restart: () => startNats({ dataDir: natsDir, port: nats.port, log: say }),
      ...serverSupervision,
    });
    cleanups.push(supervised.stop);
    natsUrl = nats.url;
    say(`NATS (JetStream) on ${natsUrl}`);
  }

  let databaseUrlFor;
  if (env.DATABASE_URL) {
    databaseUrlFor = await useExternalPostgres(env.DATABASE_URL);
  } else {
    const postgresDir = join(dataDir, 'postgres');
    const postgres = await startPostgres({ dataDir: postgresDir, port: fixedPorts.PG_PORT });
    const supervised = superviseServer({
      name: 'PostgreSQL (embedded)',
      server: postgres,
      restart: () => startPostgres({ dataDir: postgresDir, port: postgres.port }),
      ...serverSupervision,
    });
    cleanups.push(supervised.stop);
    databaseUrlFor = postgres.urlFor;
    say(`PostgreSQL (embedded) on 127.0.0.1:${postgres.port}, data in ${join(dataDir, 'postgres')}`);
  }

  const common = { NATS_URL: natsUrl, LOG_LEVEL: env.LOG_LEVEL || 'info', HOST: '127.0.0.1' };
  for (const [service, database] of Object.entries(SERVICE_DATABASES)) {
    launch(service, {
      ...common,
      DATABASE_URL: databaseUrlFor(database),
      HTTP_PORT: String(fixedPorts[portVariableOf(service)] ?? (await freePort())),
    });
  }
  launch('gateway', {
    ...common,
    HOST: env.HOST || '127.0.0.1',
    ...GATEWAY_ENV,
    PORT: String(port),
  });

  await waitUntilReady(`http://127.0.0.1:${port}/readyz`, readyTimeoutSeconds * 1000);
  say(`ready. Dashboard: http://localhost:${port}`);
  process.stdout.write(`Dashboard: http://localhost:${port}\n`);
} catch (error) {
  say(`error: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}

/** Starts a service and restarts it (with back-off) if it dies while the platform runs. */
function launch(service, serviceEnv, attempt = 0) {
  const flags = ['--enable-source-maps', ...(NODE_FLAGS[service] ?? [])];
  const child = spawn(process.execPath, [...flags, join(root, `dist/apps/${service}/src/main.js`)], {
    cwd: root,
    env: { ...INHERITED_ENV, ...serviceEnv, DATABASE_URL: serviceEnv.DATABASE_URL ?? '' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.set(service, child);
  const startedAt = Date.now();
  child.once('exit', (code, signal) => {
    if (stopping) return;
    if (code === CONFIG_ERROR_EXIT) {
      say(`${service} refused its configuration (see above); stopping.`);
      void shutdown(CONFIG_ERROR_EXIT);
      return;
    }
    const next = Date.now() - startedAt > RESTART_RESET_AFTER_MS ? 0 : attempt + 1;
    const delay = restartDelay(next);
    say(`${service} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
    setTimeout(() => !stopping && launch(service, serviceEnv, next), delay);
  });
}

async function useExternalPostgres(serverUrl) {
  const base = new URL(serverUrl);
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    for (const database of Object.values(SERVICE_DATABASES)) {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (rowCount === 0) await admin.query(`CREATE DATABASE "${database}"`);
    }
  } finally {
    await admin.end();
  }
  say(`PostgreSQL at ${base.hostname}:${base.port || 5432} (DATABASE_URL)`);
  return (database) => {
    const url = new URL(serverUrl);
    url.pathname = `/${database}`;
    return url.toString();
  };
}

async function waitUntilReady(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      // With METRICS_TOKEN set, /readyz says why a dependency is down only to its holder.
      const token = process.env.METRICS_TOKEN;
      const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      if (response.ok) return;
      last = JSON.stringify((await response.json()).checks);
    } catch (error) {
      last = error.message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(
    `the platform did not become ready within ${timeoutMs / 1000} s (last readiness: ${last}); a service migrating a large database needs longer: raise START_TIMEOUT_SECONDS`,
  );
}
