import { createServer } from 'node:net';
import { Client } from 'pg';
import { createTestDatabase } from '../support/test-database';
import { freePort, startNatsServer } from '../support/nats-server';
import { spawnService, stopProcess, waitForHttp } from '../support/platform';
import { waitFor } from '../support/wait';

const CONFIG_ERROR_EXIT = 78;

async function waitForOutput(read: () => string, text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!read().includes(text)) {
    if (Date.now() > deadline) throw new Error(`"${text}" never appeared in:\n${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('service start-up: configuration and missing dependencies', () => {
  it('refuses a bad environment, naming every bad variable, and exits with EX_CONFIG', async () => {
    const service = spawnService('key-service', {
      NATS_URL: 'http://127.0.0.1:4222',
      HTTP_PORT: 'eighty',
      LOG_LEVEL: 'loud',
    });
    expect(await service.exited).toBe(CONFIG_ERROR_EXIT);
    const output = service.output();
    for (const variable of ['DATABASE_URL', 'NATS_URL', 'HTTP_PORT', 'LOG_LEVEL']) expect(output).toContain(variable);
  });

  it('refuses a gateway with malformed TRUSTED_PROXIES or a short ADMIN_TOKEN', async () => {
    const gateway = spawnService('gateway', {
      TRUSTED_PROXIES: '10.0.0.0/8,not-an-ip',
      ADMIN_TOKEN: 'short',
      PORT: '-1',
    });
    expect(await gateway.exited).toBe(CONFIG_ERROR_EXIT);
    for (const variable of ['TRUSTED_PROXIES', 'ADMIN_TOKEN', 'PORT']) expect(gateway.output()).toContain(variable);
  });

  it('waits for NATS and PostgreSQL that are not there yet, says so, and becomes ready once they appear', async () => {
    const natsPort = await freePort();
    const httpPort = await freePort();
    const database = await createTestDatabase('late');
    // The service's database does not exist yet: PostgreSQL answers, but not for it.
    const lateUrl = new URL(database.url);
    lateUrl.pathname = `${lateUrl.pathname}_later`;
    const service = spawnService('content-service', {
      NATS_URL: `nats://127.0.0.1:${natsPort}`,
      DATABASE_URL: lateUrl.toString(),
      HTTP_PORT: String(httpPort),
    });
    let nats: Awaited<ReturnType<typeof startNatsServer>> | undefined;
    const admin = new Client({ connectionString: database.url });
    try {
      await waitForOutput(service.output, 'waiting for PostgreSQL');
      await admin.connect();
      await admin.query(`CREATE DATABASE "${lateUrl.pathname.slice(1)}"`);
      await waitForOutput(service.output, 'waiting for NATS');
      nats = await startNatsServer(natsPort);
      const ready = await waitForHttp(`http://127.0.0.1:${httpPort}/readyz`, 30_000);
      expect(await ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', nats: 'ok' } });
      expect(service.output()).not.toContain(new URL(database.url).password);
    } finally {
      await stopProcess(service);
      await nats?.stop();
      await admin.query(`DROP DATABASE IF EXISTS "${lateUrl.pathname.slice(1)}" WITH (FORCE)`).catch(() => undefined);
      await admin.end();
      await database.drop();
    }
  });

  it('reports not ready while NATS is down and recovers when it returns', async () => {
    const nats = await startNatsServer();
    const database = await createTestDatabase('natsdown');
    const httpPort = await freePort();
    const service = spawnService('audit-service', {
      NATS_URL: nats.url,
      DATABASE_URL: database.url,
      HTTP_PORT: String(httpPort),
    });
    try {
      const readyz = `http://127.0.0.1:${httpPort}/readyz`;
      await waitForHttp(readyz);
      await nats.pause();
      const down = await waitFor(
        async () => {
          const response = await fetch(readyz);
          return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
        },
        (answer) => answer.status === 503,
      );
      expect(down.body.checks.database).toBe('ok');
      expect(down.body.checks.nats).not.toBe('ok');
      await nats.resume();
      const ready = await waitForHttp(readyz, 30_000);
      expect(await ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', nats: 'ok' } });
      expect(service.child.exitCode).toBeNull();
    } finally {
      await stopProcess(service);
      await nats.stop();
      await database.drop();
    }
  });
});

describe('service start-up: refusals say what to change and show no secret', () => {
  it('names a bad variable without echoing a secret or a URL password', async () => {
    const service = spawnService('key-service', { DATABASE_URL: 'mysql://u:Pa55SecretWord@h/db' });
    expect(await service.exited).toBe(CONFIG_ERROR_EXIT);
    expect(service.output()).toContain(
      'DATABASE_URL="mysql://u:[REDACTED]@h/db": must be a postgres:// connection URL',
    );
    expect(service.output()).not.toContain('Pa55SecretWord');

    const gateway = spawnService('gateway', { ADMIN_TOKEN: 'shortSecret99' });
    expect(await gateway.exited).toBe(CONFIG_ERROR_EXIT);
    expect(gateway.output()).toContain('ADMIN_TOKEN (value not shown): must be at least 16 characters');
    expect(gateway.output()).not.toContain('shortSecret99');
  });

  it('refuses a HOST that is no address before waiting for anything', async () => {
    for (const host of ['999.1.1.1', 'not_a_host']) {
      // No NATS there: a gateway that got past validation would wait for it, not exit.
      const gateway = spawnService('gateway', { HOST: host, NATS_URL: `nats://127.0.0.1:${await freePort()}` });
      try {
        expect(
          await Promise.race([gateway.exited, new Promise((resolve) => setTimeout(resolve, 10_000, 'running'))]),
        ).toBe(CONFIG_ERROR_EXIT);
        expect(gateway.output().trim().split('\n')).toEqual([
          'gateway: invalid configuration:',
          `  - HOST="${host}": must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name of this machine`,
        ]);
      } finally {
        await stopProcess(gateway);
      }
    }
  });

  it('exits with EX_CONFIG and one line naming the variable when its port is taken', async () => {
    const nats = await startNatsServer();
    const database = await createTestDatabase('porttaken');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const service = spawnService('content-service', {
        NATS_URL: nats.url,
        DATABASE_URL: database.url,
        HTTP_PORT: String(port),
      });
      expect(await service.exited).toBe(CONFIG_ERROR_EXIT);
      expect(service.output()).toContain(
        `content-service: cannot listen: HTTP_PORT=${port}: port ${port} on 127.0.0.1 is already in use`,
      );
      expect(service.output()).not.toMatch(/\n\s+at /);

      const gateway = spawnService('gateway', { NATS_URL: nats.url, PORT: String(port) });
      expect(await gateway.exited).toBe(CONFIG_ERROR_EXIT);
      expect(gateway.output()).toContain(
        `gateway: cannot listen: PORT=${port}: port ${port} on 127.0.0.1 is already in use`,
      );
      expect(gateway.output()).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      await nats.stop();
      await database.drop();
    }
  });
});
