import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/nats-server';

const ROOT = join(__dirname, '..', '..');
const CONFIG_ERROR_EXIT = 78;

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * `npm start` as a user runs it, without a terminal: the launcher itself (node scripts/start.mjs), or through npm
 * (`viaNpm`), as a service manager would, which then signals npm's process, not the launcher's.
 */
function npmStart(env: Record<string, string>, { viaNpm = false } = {}): Started {
  const [command, args] = viaNpm ? ['npm', ['start']] : [process.execPath, [join(ROOT, 'scripts/start.mjs')]];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

async function waitForLine(started: Started, text: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!started.output().includes(text)) {
    if (started.child.exitCode !== null)
      throw new Error(`exited ${started.child.exitCode} before "${text}":\n${started.output()}`);
    if (Date.now() > deadline) throw new Error(`"${text}" never appeared:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line contains every one of `fragments` (the launcher's servers, found by their data dir). */
function pidsOf(...fragments: string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let commandLine: string;
    try {
      commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (fragments.every((fragment) => commandLine.includes(fragment))) pids.push(Number(entry));
  }
  return pids;
}

/** `root` and every process below it. */
function processTree(root: number): number[] {
  return [root, ...childrenOf(root).flatMap(processTree)];
}

/** The processes whose parent is `parent`. */
function childrenOf(parent: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^[0-9]+$/.test(entry))
    .filter((entry) => {
      try {
        // The field after the command name (in parentheses) is the state, then the parent's pid.
        return Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]) === parent;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function waitForReady(port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`/readyz still ${status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Listens on `port` as soon as the process that held it is gone. */
async function occupy(port: number): Promise<Server> {
  for (;;) {
    const server = createServer();
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (listening) return server;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('npm start', () => {
  const dataDir = mkdtempSync(join(process.env.TEST_WORK_DIR ?? tmpdir(), 'start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a START_TIMEOUT_SECONDS that is not a whole number of seconds from 10 to 86400, before building', async () => {
    for (const bad of ['abc', '5', '12.5', '1e2', '']) {
      const started = npmStart({ DATA_DIR: dataDir, PORT: String(await freePort()), START_TIMEOUT_SECONDS: bad });
      expect(await started.exited).toBe(CONFIG_ERROR_EXIT);
      expect(started.output()).toContain(`START_TIMEOUT_SECONDS=${JSON.stringify(bad)}: must be a whole number`);
      expect(started.output()).not.toContain('building');
    }
  });

  it('refuses every bad variable it reads itself at once, before building, without printing a database password', async () => {
    const started = npmStart({
      DATA_DIR: dataDir,
      PORT: 'http',
      PG_PORT: '70000',
      NATS_PORT: '0x1068',
      NATS_GOMAXPROCS: 'abc',
      DATABASE_URL: 'postgres://postgres:Pa55SecretWord@127.0.0.1:notaport/keys',
    });
    expect(await started.exited).toBe(CONFIG_ERROR_EXIT);
    expect(started.output()).toContain('PORT="http": must be a port number');
    expect(started.output()).toContain('NATS_PORT="0x1068": must be a port number');
    expect(started.output()).toContain('NATS_GOMAXPROCS="abc": must be a whole number of threads');
    expect(started.output()).toContain('DATABASE_URL (value not shown): must be the postgres:// URL');
    expect(started.output()).not.toContain('Pa55SecretWord');
    expect(started.output()).not.toContain('building');
  });

  it("stops the platform with EX_CONFIG when a service refuses its configuration, and never prints the gateway's ADMIN_TOKEN", async () => {
    const started = npmStart({ DATA_DIR: dataDir, PORT: String(await freePort()), ADMIN_TOKEN: 'shortSecret99' });
    expect(await started.exited).toBe(CONFIG_ERROR_EXIT);
    expect(started.output()).toContain('ADMIN_TOKEN (value not shown): must be at least 16 characters');
    expect(started.output()).toContain('gateway refused its configuration');
    expect(started.output()).not.toContain('shortSecret99');
  }, 120_000);

  it('restarts its nats-server and PostgreSQL when they are killed, and stops the platform when NATS cannot come back', async () => {
    const port = await freePort();
    const natsPort = await freePort();
    const ownData = mkdtempSync(join(dataDir, 'crash-'));
    const started = npmStart({ DATA_DIR: ownData, PORT: String(port), NATS_PORT: String(natsPort) });
    let blocker: Server | undefined;
    try {
      await waitForLine(started, `Dashboard: http://localhost:${port}`);

      const [nats] = pidsOf('nats-server', join(ownData, 'nats'));
      process.kill(nats, 'SIGKILL');
      await waitForLine(started, 'NATS (nats-server) exited (signal SIGKILL); restarting it');
      await waitForLine(started, 'NATS (nats-server) is running again');
      expect(pidsOf('nats-server', join(ownData, 'nats'))).not.toContain(nats);
      await waitForReady(port);

      const [postmaster] = pidsOf('postgres', '-D', join(ownData, 'postgres'));
      process.kill(postmaster, 'SIGKILL');
      await waitForLine(started, 'PostgreSQL (embedded) exited (signal SIGKILL); restarting it');
      await waitForLine(started, 'PostgreSQL (embedded) is running again');
      await waitForReady(port);

      // Something else takes NATS's port while it is down: every restart fails, and the launcher gives up.
      process.kill(pidsOf('nats-server', join(ownData, 'nats'))[0], 'SIGKILL');
      blocker = await occupy(natsPort);
      expect(await started.exited).toBe(1);
      expect(started.output()).toContain('restarts in a row failed; stopping the platform.');
      expect(started.output()).toContain('address already in use');
      expect(pidsOf(ownData)).toEqual([]);
    } finally {
      started.child.kill('SIGTERM');
      await started.exited;
      blocker?.close();
    }
  }, 300_000);

  it('starts everything, prints the dashboard URL, refuses a second copy on the same data, stops cleanly and restarts on the same data', async () => {
    const port = await freePort();
    const first = npmStart({ DATA_DIR: dataDir, PORT: String(port), ADMIN_TOKEN: 'admin-token-of-this-test-0123' });
    try {
      await waitForLine(first, `Dashboard: http://localhost:${port}`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      // Nest's line per route and per module is debug detail: the start-up output stays readable.
      expect(first.output()).toContain('"context":"NestApplication"');
      expect(first.output()).not.toMatch(/"context":"(RouterExplorer|RoutesResolver|InstanceLoader)"/);

      // The admin token goes to the gateway only: the other services have no use for it.
      const environments = childrenOf(first.child.pid!).map((pid) => ({
        service: /dist\/apps\/([a-z-]+)\//.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1],
        adminToken: readFileSync(`/proc/${pid}/environ`, 'utf8')
          .split('\0')
          .includes('ADMIN_TOKEN=admin-token-of-this-test-0123'),
      }));
      expect(
        environments.filter(({ service }) => service).sort((a, b) => a.service!.localeCompare(b.service!)),
      ).toEqual([
        { service: 'audit-service', adminToken: false },
        { service: 'content-service', adminToken: false },
        { service: 'gateway', adminToken: true },
        { service: 'key-service', adminToken: false },
      ]);

      const second = npmStart({ DATA_DIR: dataDir, PORT: String(await freePort()) });
      expect(await second.exited).toBe(1);
      expect(second.output()).toContain('is using DATA_DIR');

      const samePort = npmStart({ DATA_DIR: mkdtempSync(join(dataDir, 'other-')), PORT: String(port) });
      expect(await samePort.exited).toBe(CONFIG_ERROR_EXIT);
      expect(samePort.output()).toContain(`PORT=${port} is already in use`);
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exited).toBe(0);
    const pids = [...first.output().matchAll(/"pid":(\d+)/g)].map((match) => Number(match[1]));
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of new Set(pids)) expect(isAlive(pid)).toBe(false);

    // Through npm this time: a SIGTERM to npm's process (a service manager's stop) stops everything too.
    const again = npmStart({ DATA_DIR: dataDir, PORT: String(port) }, { viaNpm: true });
    let tree: number[] | undefined;
    try {
      await waitForLine(again, `Dashboard: http://localhost:${port}`);
      expect(again.output()).not.toContain('migrations applied');
      tree = processTree(again.child.pid!);
      // npm, the launcher, NATS, PostgreSQL (with its own workers) and the four services.
      expect(tree.length).toBeGreaterThanOrEqual(8);
    } finally {
      again.child.kill('SIGTERM');
    }
    // npm answers a SIGTERM by exiting with 143 (or 0 once its child has stopped cleanly).
    expect([0, 143]).toContain(await again.exited);
    if (!tree) return; // not reached: the block above either set it or threw
    const started = tree;
    try {
      const deadline = Date.now() + 30_000;
      while (started.some(isAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(started.filter(isAlive)).toEqual([]);
    } finally {
      // Left running, they would hold this test's pipes open and keep jest from ending.
      for (const pid of started.filter(isAlive)) process.kill(pid, 'SIGKILL');
    }
  }, 300_000);
});
