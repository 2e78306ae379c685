import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The platform's nats-server settings (max_payload), as npm start and docker compose use them. */
const NATS_CONFIG = resolve(__dirname, '../../deploy/nats-server.conf');

/** Ports this process has handed out: a port is free again as soon as it is closed here, long before
 * the process it is meant for binds it, so without this two services of one platform could get the same. */
const handedOut = new Set<number>();

function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await unusedPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface TestNatsServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Stops it and keeps its store, so that `resume` carries on where it stopped (NATS down for a while). */
  pause(): Promise<void>;
  /** Starts it again on the same port and store. */
  resume(): Promise<void>;
}

/**
 * A nats-server with JetStream of the suite's own, so suites never share streams or durable
 * consumers. (`npm test` has found nats-server and says where in NATS_SERVER_BIN.)
 */
export async function startNatsServer(port?: number): Promise<TestNatsServer> {
  const natsPort = port ?? (await freePort());
  const storeDir = mkdtempSync(join(process.env.TEST_WORK_DIR ?? tmpdir(), 'nats-'));
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn(
      process.env.NATS_SERVER_BIN ?? 'nats-server',
      ['-c', NATS_CONFIG, '-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(natsPort)],
      {
        stdio: 'ignore',
      },
    );
    await waitForPort(natsPort);
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });
  };
  await launch();
  return {
    url: `nats://127.0.0.1:${natsPort}`,
    port: natsPort,
    stop: async () => {
      await stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
    pause: stop,
    resume: launch,
  };
}
