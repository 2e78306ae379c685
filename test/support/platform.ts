import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { createServiceDataSource } from '#event-store';
import { type TestDatabase, createTestDatabase } from './test-database';
import { type TestNatsServer, freePort, startNatsServer } from './nats-server';

const ROOT = join(__dirname, '..', '..');
export const BACKEND_SERVICES = ['key-service', 'content-service', 'audit-service'] as const;
export type BackendService = (typeof BACKEND_SERVICES)[number];
export type PlatformProcess = BackendService | 'gateway';

export interface RunningProcess {
  child: ChildProcess;
  /** Everything it wrote (JSON log lines), for assertions. */
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs one built service (`dist/`, made by `npm test`) as a real process. */
export function spawnService(name: PlatformProcess, env: Record<string, string>): RunningProcess {
  const child = spawn(process.execPath, [join(ROOT, `dist/apps/${name}/src/main.js`)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

export async function stopProcess(running: RunningProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return;
  running.child.kill(signal);
  await running.exited;
}

export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return response;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) throw new Error(`${url} not OK within ${timeoutMs} ms: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The whole platform on its own NATS server and fresh databases, as `npm start` runs it. */
export class TestPlatform {
  readonly processes = new Map<PlatformProcess, RunningProcess>();
  readonly databases = new Map<BackendService, TestDatabase>();
  readonly ports = new Map<PlatformProcess, number>();
  nats!: TestNatsServer;

  /** Extra processes started by a test (a second gateway), stopped with the platform. */
  readonly extras: RunningProcess[] = [];
  gatewayEnv: Record<string, string> = {};

  serviceEnv: Partial<Record<BackendService, Record<string, string>>> = {};

  static async start(
    options: {
      gatewayEnv?: Record<string, string>;
      serviceEnv?: Partial<Record<BackendService, Record<string, string>>>;
    } = {},
  ): Promise<TestPlatform> {
    const platform = new TestPlatform();
    platform.gatewayEnv = options.gatewayEnv ?? {};
    platform.serviceEnv = options.serviceEnv ?? {};
    try {
      platform.nats = await startNatsServer();
      for (const service of BACKEND_SERVICES) {
        platform.databases.set(service, await createTestDatabase(service.replace('-service', '')));
        platform.ports.set(service, await freePort());
        platform.launch(service, platform.serviceEnv[service]);
      }
      platform.ports.set('gateway', await freePort());
      platform.launch('gateway', platform.gatewayEnv);
      await waitForHttp(`${platform.url('gateway')}/readyz`, 60_000);
      return platform;
    } catch (error) {
      await platform.stop();
      throw error;
    }
  }

  /** A test's own connection to a service's database, closed when `use` is done. */
  async withDatabase<T>(service: BackendService, use: (dataSource: DataSource) => Promise<T>): Promise<T> {
    const dataSource = createServiceDataSource({
      url: this.databases.get(service)!.url,
      migrations: [],
      applicationName: 'e2e-test',
    });
    await dataSource.initialize();
    try {
      return await use(dataSource);
    } finally {
      await dataSource.destroy();
    }
  }

  url(name: PlatformProcess): string {
    return `http://127.0.0.1:${this.ports.get(name)}`;
  }

  envFor(name: PlatformProcess): Record<string, string> {
    const common = { NATS_URL: this.nats.url, HOST: '127.0.0.1' };
    if (name === 'gateway') return { ...common, PORT: String(this.ports.get('gateway')) };
    return { ...common, DATABASE_URL: this.databases.get(name)!.url, HTTP_PORT: String(this.ports.get(name)) };
  }

  launch(name: PlatformProcess, extraEnv: Record<string, string> = {}): RunningProcess {
    const running = spawnService(name, { ...this.envFor(name), ...extraEnv });
    this.processes.set(name, running);
    return running;
  }

  /** Another gateway instance on the same NATS: returns its base URL once it is ready. */
  async startExtraGateway(): Promise<{ url: string; process: RunningProcess }> {
    const port = await freePort();
    const running = spawnService('gateway', { ...this.envFor('gateway'), ...this.gatewayEnv, PORT: String(port) });
    this.extras.push(running);
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/readyz`, 60_000);
    return { url, process: running };
  }

  /** Restarts one process (same ports, same database) and waits until it is ready. */
  async restart(name: PlatformProcess): Promise<void> {
    const running = this.processes.get(name);
    if (running) await stopProcess(running);
    this.launch(name, name === 'gateway' ? this.gatewayEnv : (this.serviceEnv[name] ?? {}));
    await waitForHttp(`${this.url(name)}/readyz`, 60_000);
  }

  /** Everything every process wrote so far (JSON log lines). */
  allOutput(): string {
    return [...this.processes.values(), ...this.extras].map((running) => running.output()).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.processes.values(), ...this.extras].map((running) => stopProcess(running)));
    await this.nats?.stop();
    for (const database of this.databases.values()) await database.drop();
  }
}
