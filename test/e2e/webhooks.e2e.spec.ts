import { createHmac } from 'node:crypto';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import { Client } from 'pg';
import { DashboardUser, call } from '../support/api-client';
import { freePort } from '../support/nats-server';
import { TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

describe('alert webhooks and auto-revoke (PRODUCT.md §9.2)', () => {
  let platform: TestPlatform;
  let base: string;
  let receiver: Server;
  let receiverUrl: string;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  let failFirst = 1;

  beforeAll(async () => {
    // The receiver runs on loopback: this platform allows private webhook targets (never the default).
    platform = await TestPlatform.start({
      gatewayEnv: { TRUSTED_PROXIES: '127.0.0.1/32' },
      serviceEnv: { 'audit-service': { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } },
    });
    base = platform.url('gateway');
    const port = await freePort();
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.statusCode = failFirst-- > 0 ? 500 : 204;
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(port, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${port}/hooks/vibexp`;
  }, 90_000);
  afterAll(async () => {
    await new Promise((resolve) => receiver?.close(resolve));
    await platform?.stop();
  });

  it('revokes the key of a new_location alert when the account asked for it, and delivers a signed webhook, retrying a 500', async () => {
    const user = await DashboardUser.signup(base);
    const settings = await user.request<{ webhook_secret: string }>('PUT', '/api/v1/settings/security', {
      body: {
        timezone: 'UTC',
        working_hours: null,
        webhook_url: receiverUrl,
        auto_revoke_on: ['new_location', 'revoked_key_use'],
      },
    });
    expect(settings.status).toBe(200);
    expect(settings.body.webhook_secret).toMatch(/^[0-9a-f]{64}$/);
    const key = await user.createKey();
    expect(
      (await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key, headers: { 'X-Forwarded-For': '81.2.69.160' } }))
        .status,
    ).toBe(200);
    expect(
      (await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key, headers: { 'X-Forwarded-For': '1.128.0.1' } }))
        .status,
    ).toBe(200);

    const alerts = await waitFor(
      () => user.request<{ alerts: Record<string, unknown>[] }>('GET', '/api/v1/security/alerts?rule=new_location'),
      (r) => (r.body.alerts ?? []).length === 1,
    );
    const alert = alerts.body.alerts[0];
    expect(alert).toMatchObject({
      rule: 'new_location',
      // London, then Sydney a moment later: faster than any plane.
      severity: 'high',
      key_id: key.api_key.id,
      evidence: expect.objectContaining({ country: 'AU', auto_revoked: true }),
    });
    expect(alert.summary).toContain('revoked automatically');
    const view = await user.request('GET', `/api/v1/settings/api-keys/${key.api_key.id}`);
    expect(view.body).toMatchObject({ status: 'revoked', revoked_reason: 'anomaly' });
    expect((await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key })).status).toBe(401);
    // That attempt's revoked_key_use alert claims no revocation: its key was revoked already.
    const attempt = await waitFor(
      () => user.request<{ alerts: Record<string, unknown>[] }>('GET', '/api/v1/security/alerts?rule=revoked_key_use'),
      (r) => (r.body.alerts ?? []).length === 1,
    );
    expect(attempt.body.alerts[0].summary).not.toContain('automatically');
    expect(attempt.body.alerts[0].evidence).not.toHaveProperty('auto_revoked');

    // The refused request above raises a revoked_key_use alert too: look at this alert's deliveries.
    const forAlert = () => received.filter((delivery) => delivery.body.includes(String(alert.id)));
    await waitFor(
      async () => forAlert().length,
      (n) => n >= 2,
    );
    const [first, second] = forAlert();
    expect(second.body).toBe(first.body);
    const payload = JSON.parse(second.body) as { type: string; alert: { id: string } };
    expect(payload).toMatchObject({ type: 'alert.raised', alert: { id: alert.id } });
    const expected = `sha256=${createHmac('sha256', settings.body.webhook_secret).update(second.body).digest('hex')}`;
    expect(second.headers['x-vibexp-signature']).toBe(expected);
    // A secret never rotated: no signature with a previous one.
    expect(second.headers['x-vibexp-signature-previous']).toBeUndefined();
    // Signed again with the attempt's time, so a receiver can refuse an old copy (a replay).
    const [, t, stamped] =
      /^t=(\d+),sha256=([0-9a-f]{64})$/.exec(String(second.headers['x-vibexp-signature-timestamped'])) ?? [];
    expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
    expect(stamped).toBe(
      createHmac('sha256', settings.body.webhook_secret).update(`${t}.${second.body}`).digest('hex'),
    );
    expect(second.body).not.toContain(key.full_key);

    const client = new Client({ connectionString: platform.databases.get('audit-service')!.url });
    await client.connect();
    try {
      // The receiver has answered; the dispatcher records the attempt just after it reads that answer.
      const rows = await waitFor(
        async () =>
          (
            await client.query(
              `SELECT a.attempt, a.status_code, d.status FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.alert_id = $1 ORDER BY a.attempt`,
              [alert.id],
            )
          ).rows as { attempt: number; status_code: number; status: string }[],
        (found) => found.length === 2 && found[1].status === 'delivered',
      );
      expect(rows).toEqual([
        { attempt: 1, status_code: 500, status: 'delivered' },
        { attempt: 2, status_code: 204, status: 'delivered' },
      ]);
    } finally {
      await client.end();
    }
  }, 60_000);

  it('rotates the signing secret: the next delivery is signed with the new one (and for a day the old), and the change is recorded', async () => {
    const user = await DashboardUser.signup(base);
    const rotate = () =>
      user.request<{ webhook_secret: string; code?: string }>(
        'POST',
        '/api/v1/settings/security/webhook-secret/rotate',
      );
    const none = await rotate();
    expect([none.status, none.body.code]).toEqual([404, 'RESOURCE_NOT_FOUND']);
    // Settings without a webhook have no secret to rotate either.
    await user.request('PUT', '/api/v1/settings/security', {
      body: { timezone: 'UTC', working_hours: null, webhook_url: null, auto_revoke_on: [] },
    });
    expect((await rotate()).status).toBe(404);
    const settings = await user.request<{ webhook_secret: string }>('PUT', '/api/v1/settings/security', {
      body: { timezone: 'UTC', working_hours: null, webhook_url: receiverUrl, auto_revoke_on: [] },
    });
    const rotated = await rotate();
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ webhook_url: receiverUrl, timezone: 'UTC' });
    expect(rotated.body.webhook_secret).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated.body.webhook_secret).not.toBe(settings.body.webhook_secret);
    expect((await user.request('GET', '/api/v1/settings/security')).body.webhook_secret).toBe(
      rotated.body.webhook_secret,
    );
    // A body, or an API key, is refused.
    expect(
      (await user.request('POST', '/api/v1/settings/security/webhook-secret/rotate', { body: { x: 1 } })).status,
    ).toBe(400);
    const key = await user.createKey();
    const byKey = await call(base, 'POST', '/api/v1/settings/security/webhook-secret/rotate', { key: key.full_key });
    expect([byKey.status, byKey.body.code]).toEqual([403, 'SESSION_REQUIRED']);

    // A revoked key's attempt raises an alert: delivered, signed with the new secret.
    await user.request('DELETE', `/api/v1/settings/api-keys/${key.api_key.id}`);
    expect((await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key })).status).toBe(401);
    const alerts = await waitFor(
      () => user.request<{ alerts: { id: string }[] }>('GET', '/api/v1/security/alerts?rule=revoked_key_use'),
      (r) => (r.body.alerts ?? []).length === 1,
    );
    const alertId = alerts.body.alerts[0].id;
    const delivered = await waitFor(
      async () =>
        received.find((delivery) => delivery.body.includes(alertId) && delivery.headers['x-vibexp-signature']),
      (delivery) => delivery !== undefined,
    );
    const signedWith = (secret: string) =>
      `sha256=${createHmac('sha256', secret).update(delivered!.body).digest('hex')}`;
    expect(delivered!.headers['x-vibexp-signature']).toBe(signedWith(rotated.body.webhook_secret));
    // For a day, signed with the secret it replaced too: a receiver not yet changed still verifies the delivery.
    expect(delivered!.headers['x-vibexp-signature-previous']).toBe(signedWith(settings.body.webhook_secret));
    const [, t, stamped] =
      /^t=(\d+),sha256=([0-9a-f]{64})$/.exec(String(delivered!.headers['x-vibexp-signature-timestamped-previous'])) ??
      [];
    expect(stamped).toBe(
      createHmac('sha256', settings.body.webhook_secret).update(`${t}.${delivered!.body}`).digest('hex'),
    );

    // The audit log says the secret changed, never what it is.
    const events = await waitFor(
      () =>
        user.request<{ events: { data: { changed: string[] } }[] }>(
          'GET',
          '/api/v1/audit-log?type=security_settings.changed',
        ),
      (r) => (r.body.events ?? []).some((event) => event.data.changed.includes('webhook_secret')),
    );
    const text = JSON.stringify(events.body);
    expect(text).not.toContain(rotated.body.webhook_secret);
    expect(text).not.toContain(settings.body.webhook_secret);
  }, 60_000);

  it('refuses a link-local webhook (cloud metadata) even here, where private targets are allowed', async () => {
    const user = await DashboardUser.signup(base);
    for (const url of ['http://169.254.169.254/latest/meta-data', 'http://[fe80::1]/hook']) {
      const put = await user.request('PUT', '/api/v1/settings/security', {
        body: { timezone: 'UTC', working_hours: null, webhook_url: url, auto_revoke_on: [] },
      });
      expect([url, put.status, put.body.validation_errors]).toEqual([
        url,
        400,
        [{ field: 'webhook_url', message: 'must not point at a link-local address (cloud metadata services)' }],
      ]);
    }
  });

  it('delivers an alert again as alert.escalated when its severity rises, and not for a repeat at the same severity', async () => {
    const user = await DashboardUser.signup(base);
    const put = await user.request('PUT', '/api/v1/settings/security', {
      body: { timezone: 'UTC', working_hours: null, webhook_url: receiverUrl, auto_revoke_on: [] },
    });
    expect(put.status).toBe(200);
    const key = await user.createKey();
    const from = { 'X-Forwarded-For': '192.0.2.50' };
    // Five wrong keys with this key's prefix: a burst against the prefix (medium)…
    const wrong = (index: number) => `${key.full_key.slice(0, 12)}${String(index).repeat(56)}`;
    for (let index = 1; index <= 5; index++)
      expect((await call(base, 'GET', '/api/v1/auth/me', { key: wrong(index), headers: from })).status).toBe(401);
    const burst = await waitFor(
      () =>
        user.request<{ alerts: { id: string; severity: string }[] }>(
          'GET',
          '/api/v1/security/alerts?rule=failed_auth_burst',
        ),
      (r) => (r.body.alerts ?? []).length === 1,
    );
    const alertId = burst.body.alerts[0].id;
    expect(burst.body.alerts[0].severity).toBe('medium');
    // …then a success from the same address: high.
    expect((await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key, headers: from })).status).toBe(200);
    const forAlert = () =>
      received
        .map((delivery) => JSON.parse(delivery.body) as { type: string; alert: { id: string; severity: string } })
        .filter((payload) => payload.alert.id === alertId);
    const sent = () => forAlert().map((payload) => `${payload.type}:${payload.alert.severity}`);
    await waitFor(
      async () => sent(),
      (types) => types.includes('alert.escalated:high'),
    );
    expect(sent()).toEqual(['alert.raised:medium', 'alert.escalated:high']);
    // One more failure folds into the alert (its count grows) at the same severity: nothing more is sent.
    expect((await call(base, 'GET', '/api/v1/auth/me', { key: wrong(6), headers: from })).status).toBe(401);
    await waitFor(
      () => user.request<{ count: number }>('GET', `/api/v1/security/alerts/${alertId}`),
      (r) => r.body.count === 3,
    );
    // The dispatcher looks for due deliveries every 500 ms: give it several turns.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(sent()).toEqual(['alert.raised:medium', 'alert.escalated:high']);
  }, 60_000);

  it('gives up on a receiver that does not answer within 5 s, records the timeout, and delivers on the retry', async () => {
    // A receiver that hangs on its first request (never answers) and accepts the next one.
    let hangs = 1;
    const hanging: { end(): void }[] = [];
    const port = await freePort();
    const slow = createServer((request, response) => {
      request.resume();
      if (hangs-- > 0) {
        hanging.push(response);
        return;
      }
      response.statusCode = 204;
      response.end();
    });
    await new Promise<void>((resolve) => slow.listen(port, '127.0.0.1', resolve));
    try {
      const user = await DashboardUser.signup(base);
      await user.request('PUT', '/api/v1/settings/security', {
        body: {
          timezone: 'UTC',
          working_hours: null,
          webhook_url: `http://127.0.0.1:${port}/hooks`,
          auto_revoke_on: [],
        },
      });
      const key = await user.createKey();
      await user.request('DELETE', `/api/v1/settings/api-keys/${key.api_key.id}`);
      expect((await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key })).status).toBe(401);
      const alerts = await waitFor(
        () => user.request<{ alerts: { id: string }[] }>('GET', '/api/v1/security/alerts?rule=revoked_key_use'),
        (r) => (r.body.alerts ?? []).length === 1,
      );

      const client = new Client({ connectionString: platform.databases.get('audit-service')!.url });
      await client.connect();
      try {
        const attempts = await waitFor(
          async () =>
            (
              await client.query(
                `SELECT a.attempt, a.status_code, a.error, a.duration_ms, d.status
                   FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
                  WHERE d.alert_id = $1 ORDER BY a.attempt`,
                [alerts.body.alerts[0].id],
              )
            ).rows as {
              attempt: number;
              status_code: number | null;
              error: string | null;
              duration_ms: number;
              status: string;
            }[],
          (rows) => rows.length === 2,
          30_000,
        );
        expect(attempts[0]).toMatchObject({ attempt: 1, status_code: null, status: 'delivered' });
        expect(attempts[0].error).toBe('no answer within 5000 ms');
        expect(attempts[0].duration_ms).toBeGreaterThanOrEqual(4_900);
        expect(attempts[0].duration_ms).toBeLessThan(15_000);
        expect(attempts[1]).toMatchObject({ attempt: 2, status_code: 204, error: null });
      } finally {
        await client.end();
      }
    } finally {
      for (const response of hanging) response.end();
      await new Promise((resolve) => slow.close(resolve));
    }
  }, 60_000);
});
