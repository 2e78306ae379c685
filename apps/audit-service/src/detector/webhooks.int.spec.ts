import { randomUUID } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { JsonLogger } from '#common';
import { createMigratedDataSource } from '../../../../test/support/test-database';
import { AuditServiceMigrations } from '../migrations';
import { type ResolveHost, WebhookDispatcher, publicOnlyLookup } from './webhooks';

const logger = new JsonLogger('test', 'silent');

/** An account whose security settings send its alerts to `url`. */
async function subscribe(dataSource: DataSource, accountId: string, url: string): Promise<void> {
  await dataSource.query(
    `INSERT INTO security_settings (account_id, timezone, webhook_url, webhook_secret) VALUES ($1, 'UTC', $2, 'secret')`,
    [accountId, url],
  );
}

/**
 * `count` pending deliveries of an alert to `url`, due now (or `overdueSeconds` ago), after `attempts`
 * earlier attempts; their ids.
 */
async function queueDeliveries(
  dataSource: DataSource,
  accountId: string,
  url: string,
  { count = 1, attempts = 0, overdueSeconds = 0 } = {},
): Promise<string[]> {
  const rows = (await dataSource.query(
    `INSERT INTO webhook_deliveries (account_id, alert_id, url, payload, attempts, next_attempt_at)
     SELECT $1, gen_random_uuid(), $2, '{"type":"alert.raised"}'::jsonb, $4, now() - make_interval(secs => $5)
       FROM generate_series(1, $3)
     RETURNING id`,
    [accountId, url, count, attempts, overdueSeconds],
  )) as { id: string }[];
  return rows.map(({ id }) => id);
}

describe('WebhookDispatcher on several replicas (PostgreSQL)', () => {
  let dataSource: DataSource;
  let closeDb: () => Promise<void>;
  let server: Server;
  let url: string;
  const received: string[] = [];

  beforeAll(async () => {
    ({ dataSource, close: closeDb } = await createMigratedDataSource('webhooks_replicas', AuditServiceMigrations));
    server = createServer((request, response) => {
      received.push(String(request.headers['x-vibexp-delivery']));
      // Slow enough that both replicas' rounds overlap.
      setTimeout(() => response.writeHead(204).end(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await closeDb();
  });

  it('posts each delivery once when two replicas deliver at the same time', async () => {
    const accountId = randomUUID();
    await subscribe(dataSource, accountId, url);
    const ids = await queueDeliveries(dataSource, accountId, url, { count: 30 });
    const replicas = [0, 1].map(() => new WebhookDispatcher(dataSource, logger, true));

    // One attempt per account at a time in each replica: rounds until nothing is due.
    const pending = async () =>
      (
        (await dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'pending'`)) as {
          n: number;
        }[]
      )[0].n;
    for (let round = 0; round < 100 && (await pending()) > 0; round += 1)
      await Promise.all(replicas.map((replica) => replica.deliverDue()));

    expect(received.sort()).toEqual(ids.sort());
    const [{ attempts, delivered }] = (await dataSource.query(
      `SELECT (SELECT count(*)::int FROM webhook_attempts) AS attempts,
              (SELECT count(*)::int FROM webhook_deliveries WHERE status = 'delivered') AS delivered`,
    )) as { attempts: number; delivered: number }[];
    expect([attempts, delivered]).toEqual([30, 30]);
  });

  it("keeps an account's deliveries in order: a later one waits while an earlier one waits for its retry", async () => {
    const accountId = randomUUID();
    await subscribe(dataSource, accountId, url);
    const [earlier] = await queueDeliveries(dataSource, accountId, url);
    const [later] = await queueDeliveries(dataSource, accountId, url);
    // The earlier one failed once and is due again in a minute; the later one is due now.
    await dataSource.query(
      `UPDATE webhook_deliveries SET created_at = now() - interval '1 minute', attempts = 1,
              next_attempt_at = now() + interval '1 minute' WHERE id = $1`,
      [earlier],
    );
    const dispatcher = new WebhookDispatcher(dataSource, logger, true);
    received.length = 0;
    await dispatcher.deliverDue();
    expect(received).toEqual([]);
    // Its retry is due: it goes first, then the later one.
    await dataSource.query(`UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = $1`, [earlier]);
    for (let round = 0; round < 5 && received.length < 2; round += 1) await dispatcher.deliverDue();
    expect(received).toEqual([earlier, later]);
  });

  it('cancels, without sending them, the pending deliveries to a webhook URL the account cleared or changed', async () => {
    const accounts = [randomUUID(), randomUUID(), randomUUID()];
    const [cleared, changed, kept] = accounts;
    // Each waiting for its retry after a failed first attempt.
    const deliveryOf: Record<string, string> = {};
    for (const accountId of accounts) {
      await subscribe(dataSource, accountId, url);
      [deliveryOf[accountId]] = await queueDeliveries(dataSource, accountId, url, { attempts: 1 });
    }
    await dataSource.query(`UPDATE security_settings SET webhook_url = NULL WHERE account_id = $1`, [cleared]);
    await dataSource.query(`UPDATE security_settings SET webhook_url = $2 WHERE account_id = $1`, [
      changed,
      `${url}/elsewhere`,
    ]);

    await new WebhookDispatcher(dataSource, logger, true).deliverDue();

    const outcome = (await dataSource.query(
      `SELECT d.id, d.account_id, d.status, (SELECT count(*)::int FROM webhook_attempts a WHERE a.delivery_id = d.id) AS attempts
         FROM webhook_deliveries d WHERE d.account_id = ANY($1)`,
      [accounts],
    )) as { id: string; account_id: string; status: string; attempts: number }[];
    const byAccount = Object.fromEntries(outcome.map((row) => [row.account_id, [row.status, row.attempts]]));
    expect(byAccount).toEqual({ [cleared]: ['cancelled', 0], [changed]: ['cancelled', 0], [kept]: ['delivered', 1] });
    expect(received).not.toContain(deliveryOf[cleared]);
    expect(received).not.toContain(deliveryOf[changed]);
    expect(received).toContain(deliveryOf[kept]);
  });

  it('refuses at delivery a private target written as a fully qualified name (trailing dot)', async () => {
    const accountId = randomUUID();
    const dotted = url.replace('127.0.0.1', 'localhost.');
    await subscribe(dataSource, accountId, dotted);
    const [id] = await queueDeliveries(dataSource, accountId, dotted);

    await new WebhookDispatcher(dataSource, logger, false).deliverDue();

    const attempts = (await dataSource.query(`SELECT status_code, error FROM webhook_attempts WHERE delivery_id = $1`, [
      id,
    ])) as { status_code: number | null; error: string }[];
    expect(attempts).toEqual([
      { status_code: null, error: 'the webhook URL is refused: it points at a private address' },
    ]);
    expect(received).not.toContain(id);
  });

  it('reads only the status of a receiver answering 200 with a huge body', async () => {
    const chunk = Buffer.alloc(64 * 1024);
    const bodyBytes = 512 * 1024 * 1024;
    let sent = 0;
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    const huge = createServer((request, response) => {
      request.resume();
      response.on('close', closed);
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bodyBytes });
      const pump = (): void => {
        while (!response.destroyed && sent < bodyBytes) {
          sent += chunk.length;
          if (!response.write(chunk)) {
            response.once('drain', pump);
            return;
          }
        }
        response.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => huge.listen(0, '127.0.0.1', resolve));
    try {
      const hugeUrl = `http://127.0.0.1:${(huge.address() as AddressInfo).port}/hook`;
      const accountId = randomUUID();
      await subscribe(dataSource, accountId, hugeUrl);
      const [id] = await queueDeliveries(dataSource, accountId, hugeUrl);

      await new WebhookDispatcher(dataSource, logger, true).deliverDue();
      await connectionClosed;

      const rows = (await dataSource.query(
        `SELECT a.status_code, a.error, d.status FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
          WHERE d.id = $1`,
        [id],
      )) as { status_code: number; error: string | null; status: string }[];
      expect(rows).toEqual([{ status_code: 200, error: null, status: 'delivered' }]);
      // What the kernel's socket buffers took before the connection closed, far from the whole body.
      expect(sent).toBeLessThan(32 * 1024 * 1024);
    } finally {
      huge.closeAllConnections();
      await new Promise((resolve) => huge.close(resolve));
    }
  });
});

describe('WebhookDispatcher with a receiver that hangs (PostgreSQL)', () => {
  let dataSource: DataSource;
  let closeDb: () => Promise<void>;
  const servers: Server[] = [];
  const listen = async (handler: Parameters<typeof createServer>[1]): Promise<string> => {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  };

  beforeAll(async () => {
    ({ dataSource, close: closeDb } = await createMigratedDataSource('webhooks_hanging', AuditServiceMigrations));
  });
  afterAll(async () => {
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await closeDb();
  });

  it("delivers another account's alert while one account's receiver has not answered its many", async () => {
    let hangingRequests = 0;
    const hanging = await listen(() => (hangingRequests += 1));
    const answering = await listen((_, response) => response.writeHead(204).end());
    const [slow, quick] = [randomUUID(), randomUUID()];
    await subscribe(dataSource, slow, hanging);
    await subscribe(dataSource, quick, answering);
    // The hanging receiver's 30 deliveries are due first, more than a replica attempts at once.
    await queueDeliveries(dataSource, slow, hanging, { count: 30, overdueSeconds: 60 });
    await queueDeliveries(dataSource, quick, answering);
    const dispatcher = new WebhookDispatcher(dataSource, logger, true, 50);
    dispatcher.start();
    try {
      const state = async () =>
        (await dataSource.query(
          `SELECT account_id, status, (SELECT count(*)::int FROM webhook_attempts a WHERE a.delivery_id = d.id) AS attempts
             FROM webhook_deliveries d WHERE account_id = ANY($1::uuid[])`,
          [[slow, quick]],
        )) as { account_id: string; status: string; attempts: number }[];
      let rows = await state();
      while (rows.find((row) => row.account_id === quick)?.status !== 'delivered') {
        await new Promise((resolve) => setTimeout(resolve, 50));
        rows = await state();
      }
      // Delivered while the slow account's first attempt still waits for its receiver (one delivery at a
      // time, it would have had to time out and be recorded first), and the slow account's others wait
      // their turn: one attempt per account at a time, in order.
      const slowRows = rows.filter((row) => row.account_id === slow);
      expect([slowRows.length, slowRows.every((row) => row.status === 'pending' && row.attempts === 0)]).toEqual([
        30,
        true,
      ]);
      expect(hangingRequests).toBe(1);
    } finally {
      await dispatcher.stop();
    }
  });
});

describe('WebhookDispatcher and a name that resolves to a private address (PostgreSQL)', () => {
  let dataSource: DataSource;
  let closeDb: () => Promise<void>;
  let server: Server;
  let requests = 0;

  beforeAll(async () => {
    ({ dataSource, close: closeDb } = await createMigratedDataSource('webhooks_rebinding', AuditServiceMigrations));
    server = createServer((_, response) => {
      requests += 1;
      response.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await closeDb();
  });

  it('refuses it when the connection resolves it, and sends nothing', async () => {
    const url = `http://hooks.example.test:${(server.address() as AddressInfo).port}/hook`;
    const accountId = randomUUID();
    await subscribe(dataSource, accountId, url);
    await queueDeliveries(dataSource, accountId, url);
    // A public-looking name (it passes the URL rules) whose DNS answers a private address.
    const resolveHost: ResolveHost = (_, __, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]);

    await new WebhookDispatcher(dataSource, logger, false, 500, resolveHost).deliverDue();

    const attempts = (await dataSource.query(
      `SELECT a.status_code, a.error FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
        WHERE d.account_id = $1`,
      [accountId],
    )) as { status_code: number | null; error: string }[];
    expect(attempts).toEqual([{ status_code: null, error: 'the webhook host resolves to a private address' }]);
    expect(requests).toBe(0);
  });
});

describe('publicOnlyLookup (the address a webhook connection uses)', () => {
  const resolve = (allowPrivate: boolean, all: boolean) =>
    new Promise<{ error: Error | null; address: unknown }>((done) =>
      publicOnlyLookup(allowPrivate)('localhost', { all }, (error, address) => done({ error, address })),
    );

  it('refuses a name that resolves to a private address, at connection time', async () => {
    for (const all of [false, true]) {
      expect((await resolve(false, all)).error?.message).toBe('the webhook host resolves to a private address');
    }
  });

  it('refuses a name that resolves to a link-local address (cloud metadata) even when private targets are allowed', async () => {
    const metadata: ResolveHost = (_name, _options, callback) =>
      callback(null, [{ address: '169.254.169.254', family: 4 }]);
    const answer = await new Promise<Error | null>((done) =>
      publicOnlyLookup(true, metadata)('metadata.example.com', { all: false }, (error) => done(error)),
    );
    expect(answer?.message).toBe('the webhook host resolves to a link-local address');
  });

  it('connects to the checked address when private targets are allowed', async () => {
    expect(await resolve(true, false)).toEqual({ error: null, address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) });
    expect((await resolve(true, true)).address).toEqual(
      expect.arrayContaining([expect.objectContaining({ address: expect.any(String) })]),
    );
  });
});
