import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

/** `npm start` as a user runs it (node scripts/start.mjs), without a terminal. */
function npmStart(env: Record<string, string>): Started {
  const child = spawn(process.execPath, [join(ROOT, 'scripts/start.mjs')], {
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

describe('npm start', () => {
  const dataDir = mkdtempSync(join(process.env.TEST_WORK_DIR ?? tmpdir(), 'start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a START_TIMEOUT_SECONDS that is not a whole number of seconds from 10 to 86400, before building', async () => {
    for (const bad of ['abc', '5', '12.5']) {
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
      DATABASE_URL: 'postgres://postgres:Pa55SecretWord@127.0.0.1:notaport/keys',
    });
    expect(await started.exited).toBe(CONFIG_ERROR_EXIT);
    expect(started.output()).toContain('PORT="http": must be a port number');
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

  it('starts everything, prints the dashboard URL, refuses a second copy on the same data, stops cleanly and restarts on the same data', async () => {
    const port = await freePort();
    const first = npmStart({ DATA_DIR: dataDir, PORT: String(port) });
    try {
      await waitForLine(first, `Dashboard: http://localhost:${port}`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);

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

    const again = npmStart({ DATA_DIR: dataDir, PORT: String(port) });
    try {
      await waitForLine(again, `Dashboard: http://localhost:${port}`);
      expect(again.output()).not.toContain('migrations applied');
    } finally {
      again.child.kill('SIGTERM');
    }
    expect(await again.exited).toBe(0);
  }, 300_000);
});
