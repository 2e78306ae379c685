import { randomUUID } from 'node:crypto';
import { DashboardUser, call } from '../support/api-client';
import { freePort } from '../support/nats-server';
import { TestPlatform, spawnService, waitForHttp } from '../support/platform';
import { waitFor } from '../support/wait';

const ADMIN_TOKEN = `alerts-admin-${randomUUID()}`;
type Alert = Record<string, unknown> & { id: string; rule: string; count: number; status: string };

describe('security alerts and settings (PRODUCT.md §9.2)', () => {
  let platform: TestPlatform;
  let base: string;

  beforeAll(async () => {
    platform = await TestPlatform.start({ gatewayEnv: { ADMIN_TOKEN, TRUSTED_PROXIES: '127.0.0.1/32' } });
    base = platform.url('gateway');
  }, 90_000);
  afterAll(() => platform?.stop());

  const alertsOf = (user: DashboardUser, query = '') =>
    user.request<{ alerts: Alert[]; total_count: number }>('GET', `/api/v1/security/alerts${query}`);

  it('keeps a resolution when an acknowledge of the same alert is sent at the same moment', async () => {
    const user = await DashboardUser.signup(base);
    const keys = [];
    for (let i = 0; i < 6; i += 1) keys.push(await user.createKey());
    for (const key of keys) {
      await user.request('DELETE', `/api/v1/settings/api-keys/${key.api_key.id}`);
      await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key });
    }
    const listed = await waitFor(
      () => alertsOf(user, '?rule=revoked_key_use'),
      (r) => r.body.alerts?.length === keys.length,
    );
    const answers = await Promise.all(
      listed.body.alerts.flatMap((alert) => [
        user.request('POST', `/api/v1/security/alerts/${alert.id}/acknowledge`),
        user.request('POST', `/api/v1/security/alerts/${alert.id}/resolve`, { body: { resolution: 'false_positive' } }),
      ]),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    const after = await alertsOf(user, '?rule=revoked_key_use');
    expect(after.body.alerts.map((alert) => [alert.status, alert.resolution])).toEqual(
      keys.map(() => ['resolved', 'false_positive']),
    );
  });

  it('raises revoked_key_use for attempts with a revoked key, folding repeats into one alert; acknowledge and resolve', async () => {
    const user = await DashboardUser.signup(base);
    const key = await user.createKey();
    await user.request('DELETE', `/api/v1/settings/api-keys/${key.api_key.id}`);
    for (let i = 0; i < 3; i += 1)
      expect(
        (
          await call(base, 'GET', '/api/v1/auth/me', {
            key: key.full_key,
            headers: { 'X-Forwarded-For': '81.2.69.160' },
          })
        ).status,
      ).toBe(401);
    const listed = await waitFor(
      () => alertsOf(user, '?rule=revoked_key_use'),
      (r) => r.body.alerts?.[0]?.count === 3,
    );
    const alert = listed.body.alerts[0];
    expect(alert).toMatchObject({
      rule: 'revoked_key_use',
      severity: 'medium',
      status: 'open',
      key_id: key.api_key.id,
      key_prefix: key.key_prefix,
      count: 3,
      summary: expect.stringContaining('revoked key'),
      evidence: expect.objectContaining({ observed: 'revoked', ips: ['81.2.69.160'] }),
      first_seen: expect.any(String),
      last_seen: expect.any(String),
    });
    expect((await user.request('GET', `/api/v1/security/alerts/${alert.id}`)).body).toEqual(alert);
    const acknowledged = await user.request('POST', `/api/v1/security/alerts/${alert.id}/acknowledge`);
    expect([acknowledged.status, acknowledged.body.status]).toEqual([200, 'acknowledged']);
    const resolved = await user.request('POST', `/api/v1/security/alerts/${alert.id}/resolve`, {
      body: { resolution: 'revoked_key', note: 'old laptop' },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({
      status: 'resolved',
      resolution: 'revoked_key',
      resolution_note: 'old laptop',
      resolved_at: expect.any(String),
    });
    expect(
      (await user.request('POST', `/api/v1/security/alerts/${alert.id}/resolve`, { body: { resolution: 'maybe' } }))
        .status,
    ).toBe(400);
    // Each decision is an event (PRODUCT.md §8), with the request id of the call that made it.
    const decisions = await waitFor(
      () =>
        user.request<{ events: { type: string; data: Record<string, unknown>; meta: Record<string, unknown> }[] }>(
          'GET',
          '/api/v1/audit-log?type=alert.acknowledged,alert.resolved',
        ),
      (r) => (r.body.events ?? []).filter((e) => e.data.alert_id === alert.id).length === 2,
    );
    const [resolvedEvent, acknowledgedEvent] = decisions.body.events.filter((e) => e.data.alert_id === alert.id);
    // The key the alert is about is in `data`; `meta.key_id` is a key that made the decision, none from the dashboard.
    expect(acknowledgedEvent).toMatchObject({
      type: 'alert.acknowledged',
      data: { alert_id: alert.id, rule: 'revoked_key_use', severity: 'medium', key_id: key.api_key.id },
      meta: { request_id: acknowledged.headers.get('x-request-id'), account_id: user.account.id },
    });
    expect(resolvedEvent).toMatchObject({
      type: 'alert.resolved',
      data: { alert_id: alert.id, resolution: 'revoked_key', note: 'old laptop', key_id: key.api_key.id },
      meta: { request_id: resolved.headers.get('x-request-id') },
    });
    expect([acknowledgedEvent.meta.key_id, resolvedEvent.meta.key_id]).toEqual([undefined, undefined]);
    const cliKey = await user.createKey({ integrations: ['cli'] });
    const byKey = await call(base, 'POST', `/api/v1/security/alerts/${alert.id}/resolve`, {
      key: cliKey.full_key,
      body: { resolution: 'revoked_key' },
    });
    expect(byKey.status).toBe(200);
    const keyDecision = await waitFor(
      () =>
        user.request<{ events: { data: Record<string, unknown>; meta: Record<string, unknown> }[] }>(
          'GET',
          '/api/v1/audit-log?type=alert.resolved',
        ),
      (r) => (r.body.events ?? []).some((e) => e.meta.request_id === byKey.headers.get('x-request-id')),
    );
    expect(keyDecision.body.events.find((e) => e.meta.request_id === byKey.headers.get('x-request-id'))).toMatchObject({
      // The row is filed under the key the alert is about: `?key_id=` finds every decision on its alerts.
      key_id: key.api_key.id,
      data: { alert_id: alert.id, key_id: key.api_key.id },
      meta: { key_id: cliKey.api_key.id },
    });

    // A new attempt after the resolution opens a new alert.
    await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key });
    const again = await waitFor(
      () => alertsOf(user, '?rule=revoked_key_use&status=open'),
      (r) => r.body.alerts?.length === 1,
    );
    expect(again.body.alerts[0].id).not.toBe(alert.id);

    // Sorting (PRODUCT.md §1): newest first by default, any documented order, 400 for another.
    const ids = async (query: string) =>
      ((await alertsOf(user, query)).body.alerts as { id: string }[]).map((listed) => listed.id);
    expect(await ids('')).toEqual([again.body.alerts[0].id, alert.id]);
    expect(await ids('?sort_by=first_seen&sort_order=asc')).toEqual([alert.id, again.body.alerts[0].id]);
    expect(await ids('?sort_by=count')).toEqual([alert.id, again.body.alerts[0].id]);
    for (const bad of ['?sort_by=bogus', '?sort_order=up'])
      expect(((await alertsOf(user, bad)).body as unknown as { code: string }).code).toBe('VALIDATION_FAILED');
  });

  it('raises failed_auth_burst for 10 failures from one IP within 5 minutes; unattributed bursts are for operators', async () => {
    const ip = '203.0.113.77';
    for (let i = 0; i < 10; i += 1)
      await call(base, 'GET', '/api/v1/auth/me', {
        key: `vxk_${randomUUID().replace(/-/g, '')}${'0'.repeat(32)}`,
        headers: { 'X-Forwarded-For': ip },
      });
    const operators = await waitFor(
      () =>
        call<{ alerts: Alert[] }>(base, 'GET', '/admin/v1/security/alerts?rule=failed_auth_burst', {
          key: ADMIN_TOKEN,
        }),
      (r) => (r.body.alerts ?? []).some((a) => (a.evidence as { ips?: string[] }).ips?.includes(ip)),
    );
    expect(operators.status).toBe(200);
    const burst = operators.body.alerts.find((a) => (a.evidence as { ips?: string[] }).ips?.includes(ip));
    expect(burst).toMatchObject({
      rule: 'failed_auth_burst',
      severity: 'medium',
      summary: expect.stringContaining(ip),
    });
  });

  it('names the key that succeeded right after a burst from the same address when it escalates the burst', async () => {
    const ip = '203.0.113.78';
    const user = await DashboardUser.signup(base);
    const key = await user.createKey();
    const prefix = key.full_key.slice(0, 12);
    // Five wrong keys with the live key's display prefix: the prefix's burst, which names no key.
    for (let i = 0; i < 5; i += 1)
      await call(base, 'GET', '/api/v1/auth/me', {
        key: `${prefix}${String(i).repeat(56)}`,
        headers: { 'X-Forwarded-For': ip },
      });
    const raised = await waitFor(
      () => alertsOf(user, '?rule=failed_auth_burst'),
      (r) => r.body.alerts?.length === 1,
    );
    expect(raised.body.alerts[0]).toMatchObject({ severity: 'medium', key_prefix: prefix });
    expect(raised.body.alerts[0].key_id).toBeUndefined();
    expect(
      (await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key, headers: { 'X-Forwarded-For': ip } })).status,
    ).toBe(200);
    const escalated = await waitFor(
      () => alertsOf(user, '?rule=failed_auth_burst'),
      (r) => r.body.alerts?.[0]?.severity === 'high',
    );
    expect(escalated.body.alerts).toEqual([
      expect.objectContaining({ severity: 'high', key_id: key.api_key.id, key_prefix: prefix }),
    ]);
    expect((await alertsOf(user, `?key_id=${key.api_key.id}`)).body.alerts).toHaveLength(1);
  });

  it('answers another account’s alert with 404, and a malformed id with 404', async () => {
    const owner = await DashboardUser.signup(base);
    const key = await owner.createKey();
    await owner.request('DELETE', `/api/v1/settings/api-keys/${key.api_key.id}`);
    await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key });
    const alert = (
      await waitFor(
        () => alertsOf(owner),
        (r) => r.body.alerts?.length > 0,
      )
    ).body.alerts[0];
    const stranger = await DashboardUser.signup(base);
    for (const [method, path] of [
      ['GET', `/api/v1/security/alerts/${alert.id}`],
      ['POST', `/api/v1/security/alerts/${alert.id}/acknowledge`],
      ['GET', '/api/v1/security/alerts/not-an-id'],
    ] as const) {
      const response = await stranger.request(method, path);
      expect([path, response.status, response.body.code]).toEqual([path, 404, 'RESOURCE_NOT_FOUND']);
    }
    expect((await alertsOf(stranger)).body.total_count).toBe(0);
    const cliKey = (await owner.createKey({ integrations: ['cli'] })).full_key;
    const withKey = await call<{ alerts: Alert[] }>(base, 'GET', '/api/v1/security/alerts', { key: cliKey });
    expect(withKey.status).toBe(200);
    expect(withKey.body.alerts.map((a) => a.id)).toContain(alert.id);
  });

  it('publishes alerts as alert.* events that reach the audit log', async () => {
    const user = await DashboardUser.signup(base);
    const key = await user.createKey();
    await user.request('DELETE', `/api/v1/settings/api-keys/${key.api_key.id}`);
    await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key });
    await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key });
    const log = await waitFor(
      () => user.request<{ events: { type: string }[] }>('GET', '/api/v1/audit-log?type=alert.*'),
      (r) => (r.body.events ?? []).length >= 2,
    );
    expect(log.body.events.map((e) => e.type).sort()).toEqual(['alert.raised', 'alert.updated']);
  });

  describe('security settings', () => {
    it('answers defaults, stores valid settings, and is for sessions only', async () => {
      const user = await DashboardUser.signup(base);
      // No webhook yet: no signing secret either.
      const withoutWebhook = await user.request('PUT', '/api/v1/settings/security', {
        body: { timezone: 'UTC', working_hours: null, webhook_url: null, auto_revoke_on: [] },
      });
      expect([withoutWebhook.status, withoutWebhook.body.webhook_secret]).toEqual([200, null]);
      expect((await user.request('GET', '/api/v1/settings/security')).body).toEqual({
        timezone: 'UTC',
        working_hours: null,
        webhook_url: null,
        auto_revoke_on: [],
        webhook_secret: null,
      });
      const settings = {
        timezone: 'Europe/Berlin',
        working_hours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '18:00' },
        webhook_url: 'https://hooks.example.com/vibexp',
        auto_revoke_on: ['revoked_key_use'],
      };
      const put = await user.request('PUT', '/api/v1/settings/security', { body: settings });
      const stored = { ...settings, webhook_secret: expect.stringMatching(/^[0-9a-f]{64}$/) };
      expect([put.status, put.body]).toEqual([200, stored]);
      expect((await user.request('GET', '/api/v1/settings/security')).body).toEqual(stored);
      // The signing secret stays the same when the settings change.
      const again = await user.request('PUT', '/api/v1/settings/security', {
        body: { ...settings, auto_revoke_on: [] },
      });
      expect(again.body.webhook_secret).toBe(put.body.webhook_secret);
      const key = (await user.createKey()).full_key;
      expect((await call(base, 'GET', '/api/v1/settings/security', { key })).body.code).toBe('SESSION_REQUIRED');
    });

    it.each([
      ['timezone Mars/Olympus', { timezone: 'Mars/Olympus' }, 'timezone'],
      ['a webhook that is not http(s)', { webhook_url: 'ftp://example.com/x' }, 'webhook_url'],
      ['a webhook on a private address', { webhook_url: 'http://192.168.1.10/hook' }, 'webhook_url'],
      ['a webhook on this machine', { webhook_url: 'http://localhost:3000/hook' }, 'webhook_url'],
      ['a webhook on this machine, fully qualified', { webhook_url: 'http://localhost.:3000/hook' }, 'webhook_url'],
      ['a webhook on loopback in IPv6', { webhook_url: 'http://[::127.0.0.1]/hook' }, 'webhook_url'],
      ['a webhook on a multicast address', { webhook_url: 'http://224.0.0.1/hook' }, 'webhook_url'],
      ['a webhook with spaces around it', { webhook_url: ' https://hooks.example.com/vibexp ' }, 'webhook_url'],
      ['a webhook on port 0', { webhook_url: 'https://example.com:0/' }, 'webhook_url'],
      ['a webhook without a host', { webhook_url: 'http:///x' }, 'webhook_url'],
      ['a day 8', { working_hours: { days: [8], start: '09:00', end: '17:00' } }, 'working_hours'],
      ['a time 25:00', { working_hours: { days: [1], start: '25:00', end: '17:00' } }, 'working_hours'],
      ['no working days', { working_hours: { days: [], start: '09:00', end: '17:00' } }, 'working_hours'],
      [
        'a working day that ends when it starts',
        { working_hours: { days: [1], start: '09:00', end: '09:00' } },
        'working_hours',
      ],
      ['an unknown rule', { auto_revoke_on: ['everything'] }, 'auto_revoke_on'],
      ['working hours sent as a list', { working_hours: [] }, 'working_hours'],
      ['working hours sent as text', { working_hours: '09:00-17:00' }, 'working_hours'],
      ['auto_revoke_on that is not a list', { auto_revoke_on: 'off_hours' }, 'auto_revoke_on'],
    ])('refuses %s', async (_, change, field) => {
      const user = await DashboardUser.signup(base);
      const body = { timezone: 'UTC', working_hours: null, webhook_url: null, auto_revoke_on: [], ...change };
      const response = await user.request('PUT', '/api/v1/settings/security', { body });
      expect([response.status, response.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect((response.body.validation_errors as { field: string }[]).map((e) => e.field.split('.')[0])).toContain(
        field,
      );
    });

    it('refuses a PUT that leaves a field out (it would drop a webhook), saying it is required', async () => {
      const user = await DashboardUser.signup(base);
      const full = {
        timezone: 'UTC',
        working_hours: null,
        webhook_url: 'https://hooks.example.com/kept',
        auto_revoke_on: [],
      };
      expect((await user.request('PUT', '/api/v1/settings/security', { body: full })).status).toBe(200);
      const hints: Record<string, string> = {
        timezone: 'is required: an IANA time zone such as Europe/Berlin',
        working_hours: 'is required: { days, start, end }, or null for none',
        webhook_url: 'is required: an http(s) URL, or null for none',
        auto_revoke_on: 'is required: a list of rules, [] for none',
      };
      for (const [field, message] of Object.entries(hints)) {
        const { [field]: _left, ...rest } = full as Record<string, unknown>;
        const response = await user.request('PUT', '/api/v1/settings/security', { body: rest });
        expect([field, response.status, response.body.validation_errors]).toEqual([field, 400, [{ field, message }]]);
      }
      expect((await user.request('GET', '/api/v1/settings/security')).body.webhook_url).toBe(
        'https://hooks.example.com/kept',
      );
    });

    it('records each change of the settings as an event, with the webhook by its origin only', async () => {
      const user = await DashboardUser.signup(base);
      const put = (body: Record<string, unknown>) =>
        user.request('PUT', '/api/v1/settings/security', {
          body: { timezone: 'UTC', working_hours: null, webhook_url: null, auto_revoke_on: [], ...body },
          headers: { 'x-request-id': 'settings-change-1' },
        });
      expect((await put({ webhook_url: 'https://hooks.example.com/services/T0/B0/s3cretpath' })).status).toBe(200);
      // The same settings again: nothing changed, nothing recorded.
      expect((await put({ webhook_url: 'https://hooks.example.com/services/T0/B0/s3cretpath' })).status).toBe(200);
      expect((await put({ webhook_url: null, auto_revoke_on: ['new_location'] })).status).toBe(200);
      type Logged = { type: string; data: Record<string, unknown>; meta?: Record<string, unknown> };
      const log = await waitFor(
        () => user.request<{ events: Logged[] }>('GET', '/api/v1/audit-log?type=security_settings.changed'),
        (response) => response.body.events?.length === 2,
      );
      const [latest, first] = log.body.events;
      expect(first.data).toEqual({
        changed: ['webhook_url'],
        timezone: 'UTC',
        working_hours: null,
        webhook: 'https://hooks.example.com',
        auto_revoke_on: [],
      });
      expect(latest.data).toMatchObject({ changed: ['webhook_url', 'auto_revoke_on'], webhook: null });
      expect(first.meta?.request_id).toBe('settings-change-1');
      const text = JSON.stringify(log.body);
      expect(text).not.toContain('s3cretpath');
      expect(text).not.toContain('webhook_secret');
    });

    it('stores a time zone in the case the time zone database spells it, and a current name as sent', async () => {
      const user = await DashboardUser.signup(base);
      for (const [typed, stored] of [
        ['utc', 'UTC'],
        ['europe/paris', 'Europe/Paris'],
        ['America/Argentina/Buenos_Aires', 'America/Argentina/Buenos_Aires'],
        ['Asia/Kolkata', 'Asia/Kolkata'],
      ]) {
        const put = await user.request('PUT', '/api/v1/settings/security', {
          body: { timezone: typed, working_hours: null, webhook_url: null, auto_revoke_on: [] },
        });
        expect([typed, put.status, put.body.timezone]).toEqual([typed, 200, stored]);
      }
    });

    it('says that credentials are not allowed in a webhook URL', async () => {
      const user = await DashboardUser.signup(base);
      const response = await user.request('PUT', '/api/v1/settings/security', {
        body: {
          timezone: 'UTC',
          working_hours: null,
          webhook_url: 'https://user:pass@hooks.example.com/',
          auto_revoke_on: [],
        },
      });
      expect([response.status, response.body.validation_errors]).toEqual([
        400,
        [{ field: 'webhook_url', message: 'must not contain credentials (user:password@)' }],
      ]);
    });
  });

  it('keeps detecting when the audit-service replica running the detector is killed (runs last)', async () => {
    const port = await freePort();
    const standby = spawnService('audit-service', { ...platform.envFor('audit-service'), HTTP_PORT: String(port) });
    platform.extras.push(standby);
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000);
    expect(standby.output()).not.toContain('leading the detector');

    platform.processes.get('audit-service')!.child.kill('SIGKILL');
    await waitFor(
      async () => standby.output(),
      (output) => output.includes('leading the detector'),
    );

    const user = await DashboardUser.signup(base);
    const key = await user.createKey();
    await user.request('DELETE', `/api/v1/settings/api-keys/${key.api_key.id}`);
    expect((await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key })).status).toBe(401);
    const listed = await waitFor(
      () => alertsOf(user, '?rule=revoked_key_use'),
      (r) => r.body.alerts?.[0]?.count === 1,
    );
    expect(listed.body.alerts[0]).toMatchObject({ rule: 'revoked_key_use', key_id: key.api_key.id });
  });
});
