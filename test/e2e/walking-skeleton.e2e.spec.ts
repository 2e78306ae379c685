import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection, connect } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import { RpcErrorCode, RpcSubjects } from '#contracts';
import { EventStore, createServiceDataSource } from '#event-store';
import { TestPlatform, stopProcess, waitForHttp } from '../support/platform';
import { waitFor } from '../support/wait';

describe('walking skeleton: the platform end to end', () => {
  let platform: TestPlatform;
  let keysDb: DataSource;
  let auditDb: DataSource;
  let nats: NatsConnection;

  beforeAll(async () => {
    platform = await TestPlatform.start();
    keysDb = createServiceDataSource({
      url: platform.databases.get('key-service')!.url,
      migrations: [],
      applicationName: 'e2e',
    });
    auditDb = createServiceDataSource({
      url: platform.databases.get('audit-service')!.url,
      migrations: [],
      applicationName: 'e2e',
    });
    await Promise.all([keysDb.initialize(), auditDb.initialize()]);
    nats = await connect({ servers: platform.nats.url });
  }, 90_000);

  afterAll(async () => {
    await nats?.close();
    await keysDb?.destroy();
    await auditDb?.destroy();
    await platform?.stop();
  });

  it('is ready: the gateway /readyz reports NATS and every service', async () => {
    const response = await fetch(`${platform.url('gateway')}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      checks: { nats: 'ok', 'key-service': 'ok', 'content-service': 'ok', 'audit-service': 'ok' },
    });
  });

  it('serves health, readiness and Prometheus metrics on every service port', async () => {
    for (const service of ['key-service', 'content-service', 'audit-service'] as const) {
      const ready = await (await fetch(`${platform.url(service)}/readyz`)).json();
      expect(ready).toEqual({ status: 'ok', checks: { database: 'ok', nats: 'ok' } });
      const live = await fetch(`${platform.url(service)}/healthz`);
      expect([live.status, live.headers.get('x-powered-by'), live.headers.get('etag')]).toEqual([200, null, null]);
      const metrics = await (await fetch(`${platform.url(service)}/metrics`)).text();
      expect(metrics).toContain(`service="${service}"`);
    }
  });

  it('delivers an event appended in key-service into audit-service exactly once', async () => {
    const accountId = randomUUID();
    const store = new EventStore(keysDb);
    const { events } = await store.append(
      `account-${accountId}`,
      [{ type: 'account.created', data: { email_domain: 'example.com' } }],
      { expectedVersion: 'no_stream', meta: { request_id: 'e2e-skeleton', account_id: accountId } },
    );
    const eventId = events[0].id;
    const count = async () =>
      (
        (await auditDb.query(`SELECT count(*)::int AS count FROM audit_log WHERE event_id = $1`, [eventId])) as {
          count: number;
        }[]
      )[0].count;
    const deadline = Date.now() + 10_000;
    while ((await count()) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await count()).toBe(1);

    const [row] = (await auditDb.query(
      `SELECT event_type, account_id, request_id, source_stream FROM audit_log WHERE event_id = $1`,
      [eventId],
    )) as Record<string, string>[];
    expect(row).toEqual({
      event_type: 'account.created',
      account_id: accountId,
      request_id: 'e2e-skeleton',
      source_stream: 'ACCOUNTS',
    });

    // A restart of audit-service re-reads nothing: its durable consumer is the same one, at the same place.
    // (audit_log is keyed by event id, so its row count alone could not show a re-read.)
    const manager = await jetstreamManager(nats);
    const position = async () => {
      const info = await manager.consumers.info('ACCOUNTS', 'audit-accounts');
      return { created: info.created, delivered: info.delivered.consumer_seq, redelivered: info.num_redelivered };
    };
    // Once everything delivered is acknowledged: an ack still in flight at the stop may be redelivered (at least once).
    await waitFor(
      () => manager.consumers.info('ACCOUNTS', 'audit-accounts'),
      (info) => info.num_ack_pending === 0,
    );
    const before = await position();
    expect(before.delivered).toBeGreaterThan(0);
    await stopProcess(platform.processes.get('audit-service')!);
    platform.launch('audit-service');
    await waitForHttp(`${platform.url('audit-service')}/readyz`);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await position()).toEqual({ ...before, redelivered: 0 });
    expect(await count()).toBe(1);
  });

  it('answers a malformed NATS request with a typed error instead of crashing', async () => {
    const reply = await nats.request(RpcSubjects.ping('key-service'), new TextEncoder().encode('{not json'), {
      timeout: 2_000,
    });
    const body = JSON.parse(new TextDecoder().decode(reply.data)) as { err?: { code: string } };
    expect(body.err?.code).toBe(RpcErrorCode.MalformedRequest);
    expect((await fetch(`${platform.url('key-service')}/healthz`)).status).toBe(200);
  });

  it('serves the dashboard at / with its script and styles (PRODUCT.md §13)', async () => {
    const base = platform.url('gateway');
    const page = await fetch(`${base}/`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    // The page is revalidated (it names the current build's files); the hashed files are kept.
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    expect(html).toContain('<div id="root"></div>');
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(js|css))"/g)];
    expect(assets.map((asset) => asset[2]).sort()).toEqual(['css', 'js']);
    for (const [, path, kind] of assets) {
      const asset = await fetch(`${base}${path}`);
      expect([path, asset.status, asset.headers.get('content-type')]).toEqual([
        path,
        200,
        kind === 'js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
      ]);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
  });

  it('answers problem+json with the request id for an unknown route', async () => {
    const response = await fetch(`${platform.url('gateway')}/api/v1/nowhere`, {
      headers: { 'X-Request-Id': 'skeleton-1' },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.headers.get('x-request-id')).toBe('skeleton-1');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.json()).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      request_id: 'skeleton-1',
      instance: '/api/v1/nowhere',
    });
  });

  it('matches paths with their case: another spelling is an unknown route', async () => {
    for (const path of ['/API/V1/PROMPTS', '/api/v1/Prompts', '/HEALTHZ']) {
      const response = await fetch(`${platform.url('gateway')}${path}`);
      const body = (await response.json()) as { code: string };
      expect([path, response.status, body.code]).toEqual([path, 404, 'NOT_FOUND']);
    }
    expect((await fetch(`${platform.url('gateway')}/healthz`)).status).toBe(200);
  });

  it('answers a method the path does not accept with 405 METHOD_NOT_ALLOWED and Allow', async () => {
    const response = await fetch(`${platform.url('gateway')}/api/v1/prompts`, { method: 'PATCH' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(await response.json()).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
    expect((await fetch(`${platform.url('gateway')}/api/v1/nowhere`, { method: 'PATCH' })).status).toBe(404);
  });
});
