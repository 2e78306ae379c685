import { createHash, randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { KeysRpc, type LoginCredentials } from '#contracts';
import { KeyStore } from '../../apps/key-service/src/shared/key-store';
import { DashboardUser, call } from '../support/api-client';
import { freePort } from '../support/nats-server';
import { TestPlatform, spawnService, stopProcess, waitForHttp } from '../support/platform';
import { natsTrafficDuring } from '../support/secret-scan';
import { waitFor } from '../support/wait';

const ADMIN_TOKEN = `test-admin-token-${randomUUID()}`;
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('administration, legacy keys and leak reports (PRODUCT.md §11)', () => {
  let platform: TestPlatform;
  let base: string;
  const admin = <T = Record<string, unknown>>(method: string, path: string, options: Parameters<typeof call>[3] = {}) =>
    call<T>(base, method, path, { key: ADMIN_TOKEN, ...options });

  beforeAll(async () => {
    platform = await TestPlatform.start({ gatewayEnv: { ADMIN_TOKEN } });
    base = platform.url('gateway');
  }, 90_000);
  afterAll(() => platform?.stop());

  describe('admin authentication', () => {
    it('refuses a missing or wrong admin token; an API key is not an admin token', async () => {
      const missing = await call(base, 'GET', '/admin/v1/accounts');
      expect([missing.status, missing.body.code]).toEqual([401, 'AUTH_REQUIRED']);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="vibexp"');
      const wrong = await call(base, 'GET', '/admin/v1/accounts', { key: 'not-the-admin-token' });
      expect([wrong.status, wrong.body.code]).toEqual([401, 'AUTH_INVALID']);
      expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="vibexp", error="invalid_token"');
      const user = await DashboardUser.signup(base);
      const key = await user.createKey();
      expect((await call(base, 'GET', '/admin/v1/accounts', { key: key.full_key })).status).toBe(401);
    });

    it('has no admin routes at all on a gateway without ADMIN_TOKEN', async () => {
      const port = await freePort();
      const bare = spawnService('gateway', { ...platform.envFor('gateway'), PORT: String(port) });
      try {
        await waitForHttp(`http://127.0.0.1:${port}/readyz`);
        const response = await call(`http://127.0.0.1:${port}`, 'GET', '/admin/v1/accounts', { key: ADMIN_TOKEN });
        expect([response.status, response.body.code]).toEqual([404, 'NOT_FOUND']);
      } finally {
        await stopProcess(bare);
      }
    });
  });

  describe('accounts', () => {
    it('lists accounts a page at a time, as every list of §1', async () => {
      for (let i = 0; i < 3; i += 1) await DashboardUser.signup(base);
      type Listed = { accounts: { id: string; email: string }[]; total_count: number; total_pages: number };
      const all = await admin<Listed>('GET', '/admin/v1/accounts?limit=100');
      expect(all.body.total_count).toBeGreaterThanOrEqual(3);
      const ids = all.body.accounts.map((account) => account.id);
      const second = await admin<Listed>('GET', '/admin/v1/accounts?limit=1&page=2');
      expect(second.body).toMatchObject({ page: 2, per_page: 1, total_count: all.body.total_count });
      expect(second.body.accounts.map((account) => account.id)).toEqual([ids[1]]);
      const byEmail = await admin<Listed>('GET', '/admin/v1/accounts?sort_by=email&sort_order=asc&limit=100');
      const emails = byEmail.body.accounts.map((account) => account.email.toLowerCase());
      expect(emails).toEqual([...emails].sort());
      for (const query of ['limit=101', 'limit=0', 'page=0', 'sort_by=tier', 'sort_order=up']) {
        const refused = await admin('GET', `/admin/v1/accounts?${query}`);
        expect([query, refused.status, refused.body.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
      }
    });

    it('sends no key pasted into a query parameter to a service (NATS)', async () => {
      const user = await DashboardUser.signup(base);
      const pasted = (await user.createKey({ name: 'in a query' })).full_key;
      const statuses: number[] = [];
      const traffic = await natsTrafficDuring(platform.nats.url, async () => {
        statuses.push((await admin('GET', `/admin/v1/accounts?email=${pasted}`)).status);
        statuses.push((await call(base, 'GET', `/api/v1/audit-log?action=${pasted}`, { key: pasted })).status);
        statuses.push((await call(base, 'GET', `/api/v1/prompts?labels=${pasted}`, { key: pasted })).status);
      });
      expect(statuses).toEqual([200, 200, 200]);
      expect(traffic).toContain('keys.rpc.admin');
      expect(traffic).toContain('audit.rpc.');
      expect(traffic).toContain('content.rpc.');
      expect(traffic).not.toContain(pasted.slice(4));
    });

    it('finds an account by email (any case) and changes its tier and custom limit', async () => {
      const user = await DashboardUser.signup(base);
      const found = await admin('GET', `/admin/v1/accounts?email=${encodeURIComponent(user.email.toUpperCase())}`);
      expect(found.status).toBe(200);
      expect(found.headers.get('cache-control')).toBe('no-store');
      expect(found.body).toEqual({
        accounts: [
          {
            id: user.account.id,
            email: user.email,
            name: 'Test User',
            tier: 'free',
            rate_limit_per_hour: null,
            status: 'active',
            created_at: user.account.created_at,
          },
        ],
        total_count: 1,
        page: 1,
        per_page: 20,
        total_pages: 1,
      });
      const pro = await admin('PATCH', `/admin/v1/accounts/${user.account.id}`, { body: { tier: 'pro' } });
      expect(pro.body).toMatchObject({ tier: 'pro', rate_limit_per_hour: null });
      const enterprise = await admin('PATCH', `/admin/v1/accounts/${user.account.id}`, {
        body: { tier: 'enterprise', rate_limit_per_hour: 50_000 },
      });
      expect(enterprise.body).toMatchObject({ tier: 'enterprise', rate_limit_per_hour: 50_000 });
      expect((await user.request('GET', '/api/v1/auth/me')).body).toMatchObject({ tier: 'enterprise' });
    });

    it('suspends at once (a cached key is refused 403) and reactivates', async () => {
      const user = await DashboardUser.signup(base);
      const key = await user.createKey();
      expect((await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key })).status).toBe(200);
      expect(
        (await admin('PATCH', `/admin/v1/accounts/${user.account.id}`, { body: { status: 'suspended' } })).status,
      ).toBe(200);
      const refused = await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key });
      expect([refused.status, refused.body.code]).toEqual([403, 'ACCOUNT_SUSPENDED']);
      const login = await call(base, 'POST', '/api/v1/auth/login', {
        body: { email: user.email, password: 'correct horse battery staple' },
      });
      expect(login.body.code).toBe('ACCOUNT_SUSPENDED');
      // The dashboard session is refused too, but can still sign out, and stays signed out.
      expect((await user.request('GET', '/api/v1/settings/api-keys')).body.code).toBe('ACCOUNT_SUSPENDED');
      expect((await user.request('POST', '/api/v1/auth/logout')).status).toBe(204);
      await admin('PATCH', `/admin/v1/accounts/${user.account.id}`, { body: { status: 'active' } });
      expect((await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key })).status).toBe(200);
      expect((await user.request('GET', '/api/v1/settings/api-keys')).status).toBe(401);
      // The refused login is in the account's audit trail, named for what it was.
      const again = await DashboardUser.login(base, user.email);
      const failures = await waitFor(
        () => again.request('GET', '/api/v1/audit-log?type=auth.login_failed'),
        (found) => (found.body.events as unknown[]).length > 0,
      );
      expect((failures.body.events as { data: { reason: string } }[]).map((event) => event.data.reason)).toEqual([
        'account_suspended',
      ]);
    });

    it.each([
      ['an unknown tier', { tier: 'platinum' }, 'tier'],
      ['a negative limit', { rate_limit_per_hour: -5 }, 'rate_limit_per_hour'],
      ['an unknown field', { plan: 'pro' }, 'plan'],
      ['a custom limit for an account that is not enterprise', { rate_limit_per_hour: 5 }, 'rate_limit_per_hour'],
      ['a custom limit sent with a move to pro', { tier: 'pro', rate_limit_per_hour: 9 }, 'rate_limit_per_hour'],
    ])('refuses %s, naming the field', async (_, body, field) => {
      const user = await DashboardUser.signup(base);
      const response = await admin('PATCH', `/admin/v1/accounts/${user.account.id}`, { body });
      expect([response.status, response.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(response.body.validation_errors).toContainEqual({ field, message: expect.any(String) });
    });

    it('answers 404 for an unknown account', async () => {
      expect((await admin('PATCH', `/admin/v1/accounts/${randomUUID()}`, { body: { tier: 'pro' } })).status).toBe(404);
      expect((await admin('PATCH', '/admin/v1/accounts/nope', { body: { tier: 'pro' } })).status).toBe(404);
    });
  });

  describe('legacy key import', () => {
    it('imports by hash and by plaintext, reports each line, is idempotent, and the keys authenticate everywhere', async () => {
      const user = await DashboardUser.signup(base);
      const hashedKey = `acli_${randomUUID().replace(/-/g, '')}`;
      const plainKey = `vib-${randomUUID().replace(/-/g, '')}`;
      const ndjson = [
        JSON.stringify({
          email: user.email.toUpperCase(),
          key_sha256: sha256(hashedKey).toUpperCase(),
          name: 'Old CLI key',
          created_at: '2024-03-01T10:00:00Z',
          notes: 'from v1',
        }),
        '',
        JSON.stringify({ email: user.email, key: plainKey, name: 'Old MCP key' }),
        '{not json',
        JSON.stringify({ email: 'nobody@example.com', key_sha256: sha256('x'.repeat(20)), name: 'Orphan' }),
        JSON.stringify({ email: user.email, key_sha256: sha256(hashedKey), name: 'Same key again' }),
      ].join('\n');
      const imported = await admin('POST', '/admin/v1/legacy-keys/import', {
        rawBody: ndjson,
        headers: { 'content-type': 'application/x-ndjson' },
      });
      expect(imported.status).toBe(200);
      expect(imported.body).toMatchObject({ created: 2, existing: 1, failed: 2 });
      const results = imported.body.results as { line: number; status: string; key_id?: string; error?: string }[];
      expect(results.map((r) => [r.line, r.status])).toEqual([
        [1, 'created'],
        [3, 'created'],
        [4, 'error'],
        [5, 'error'],
        [6, 'exists'],
      ]);
      expect(results[4].key_id).toBe(results[0].key_id);

      const again = await admin('POST', '/admin/v1/legacy-keys/import', {
        rawBody: ndjson,
        headers: { 'content-type': 'application/x-ndjson' },
      });
      expect(again.body).toMatchObject({ created: 0, existing: 3, failed: 2 });

      // The same key for another account: an error for that line, naming no key.
      const other = await DashboardUser.signup(base);
      const elsewhere = await admin('POST', '/admin/v1/legacy-keys/import', {
        rawBody: JSON.stringify({ email: other.email, key: plainKey, name: 'Taken' }),
        headers: { 'content-type': 'application/x-ndjson' },
      });
      expect(elsewhere.body).toEqual({
        created: 0,
        existing: 0,
        failed: 1,
        results: [{ line: 1, status: 'error', error: 'this key already belongs to another account' }],
      });

      for (const key of [hashedKey, plainKey]) {
        const me = await call(base, 'GET', '/api/v1/auth/me', { key });
        expect(me.status).toBe(200);
        expect(me.body).toMatchObject({
          id: user.account.id,
          api_key: { integrations: ['ai_tools', 'cli', 'mcp_server'] },
        });
        // A legacy key holds every integration: an ai_tools declaration passes the integration check too.
        const declared = await call(base, 'GET', '/api/v1/settings/api-keys', {
          key,
          headers: { 'X-VibeXP-Integration': 'ai_tools' },
        });
        expect(declared.body.code).toBe('SESSION_REQUIRED');
      }
      const list = await user.request<{
        api_keys: {
          name: string;
          key_prefix: string;
          is_legacy: boolean;
          migration_notes: string | null;
          created_at: string;
        }[];
      }>('GET', '/api/v1/settings/api-keys?sort_by=name&sort_order=asc');
      expect(list.body.api_keys).toEqual([
        expect.objectContaining({
          name: 'Old CLI key',
          key_prefix: `legacy:${sha256(hashedKey).slice(0, 6)}`,
          is_legacy: true,
          migration_notes: 'from v1',
          created_at: '2024-03-01T10:00:00.000Z',
        }),
        expect.objectContaining({ name: 'Old MCP key', key_prefix: plainKey.slice(0, 12), is_legacy: true }),
      ]);

      // A legacy key keeps mcp_server through a change of its other integrations (PRODUCT.md §3.2).
      const narrowed = await user.request('PATCH', `/api/v1/settings/api-keys/${results[0].key_id}`, {
        body: { integrations: ['cli', 'mcp_server'] },
      });
      expect([narrowed.status, narrowed.body.integrations]).toEqual([200, ['cli', 'mcp_server']]);
      const fresh = await user.createKey({ integrations: ['cli'] });
      const added = await user.request('PATCH', `/api/v1/settings/api-keys/${fresh.api_key.id}`, {
        body: { integrations: ['cli', 'mcp_server'] },
      });
      expect([added.status, added.body.code]).toEqual([400, 'INTEGRATION_RETIRED']);
      expect(added.body.detail).toContain('OAuth 2.1');
    });

    it('imports legacy keys of any printable shape, and each one authenticates; one no client could send is refused', async () => {
      const user = await DashboardUser.signup(base);
      const suffix = randomUUID().replace(/-/g, '');
      const shapes = [
        `amkt_${suffix}.${suffix.slice(0, 8)}`,
        `ak_${suffix}+/==`,
        `vib_${suffix}.x`,
        `aait_${suffix}~a`,
      ];
      const ndjson = [
        ...shapes.map((key, index) => JSON.stringify({ email: user.email, key, name: `shape ${index}` })),
        JSON.stringify({ email: user.email, key: `acli_${suffix}"quoted"`, name: 'unusable' }),
      ].join('\n');
      const imported = await admin('POST', '/admin/v1/legacy-keys/import', {
        rawBody: ndjson,
        headers: { 'content-type': 'application/x-ndjson' },
      });
      expect(imported.body).toMatchObject({ created: shapes.length, failed: 1 });
      expect((imported.body.results as { error?: string }[])[shapes.length].error).toMatch(/quotes/);
      for (const key of shapes) {
        const me = await call(base, 'GET', '/api/v1/auth/me', { key });
        expect([key.slice(0, 5), me.status]).toEqual([key.slice(0, 5), 200]);
      }
    });

    it('imports the documented maximum, 10,000 lines ending in a newline, sent as application/ndjson', async () => {
      const user = await DashboardUser.signup(base);
      const other = await DashboardUser.signup(base);
      const taken = `acli_${randomUUID().replace(/-/g, '')}`;
      await admin('POST', '/admin/v1/legacy-keys/import', {
        rawBody: JSON.stringify({ email: other.email, key: taken, name: 'theirs' }),
        headers: { 'content-type': 'application/x-ndjson' },
      });
      const lines = Array.from({ length: 10_000 }, (_, index) =>
        JSON.stringify(
          index === 5_000
            ? { email: user.email, key: taken, name: 'taken' }
            : { email: user.email, key_sha256: sha256(`${randomUUID()}-${index}`), name: `key ${index}` },
        ),
      );
      // The same hash twice in one file: the second line is `exists`.
      lines[9_999] = lines[0].replace('"key 0"', '"key 0 again"');

      const imported = await admin('POST', '/admin/v1/legacy-keys/import', {
        rawBody: `${lines.join('\n')}\n`,
        headers: { 'content-type': 'application/ndjson' },
      });

      expect(imported.status).toBe(200);
      expect(imported.body).toMatchObject({ created: 9_998, existing: 1, failed: 1 });
      const results = imported.body.results as { line: number; status: string; key_id?: string }[];
      expect(results).toHaveLength(10_000);
      expect(results[5_000]).toEqual({
        line: 5_001,
        status: 'error',
        error: 'this key already belongs to another account',
      });
      expect(results[9_999]).toEqual({ line: 10_000, status: 'exists', key_id: results[0].key_id });
      const listed = await user.request<{ total_count: number }>('GET', '/api/v1/settings/api-keys?limit=1');
      expect(listed.body.total_count).toBe(9_998);
    }, 120_000);

    it('refuses a body that is not NDJSON with 415', async () => {
      const response = await admin('POST', '/admin/v1/legacy-keys/import', { body: { email: 'a@example.com' } });
      expect([response.status, response.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    });
  });

  describe('leak reports', () => {
    it('always answers 202; a live vxk_ key is revoked with reason leaked', async () => {
      const user = await DashboardUser.signup(base);
      const key = await user.createKey();
      // A source that is no plain http(s) URL is left out; the report still revokes the key.
      const scannedOwner = await DashboardUser.signup(base);
      const scanned = await scannedOwner.createKey({ name: 'Scanned' });
      for (const source_url of ['javascript:alert(1)', 'ftp://files.example.com/k', 'https://me:pw@example.com/k']) {
        const accepted = await call(base, 'POST', '/api/v1/keys/report-leak', {
          body: { token: scanned.full_key, source_url, type: 'vibexp_api_key' },
        });
        expect([accepted.status, accepted.body]).toEqual([202, { status: 'accepted' }]);
      }
      expect((await call(base, 'GET', '/api/v1/auth/me', { key: scanned.full_key })).status).toBe(401);
      const revocation = await waitFor(
        () =>
          scannedOwner.request<{ events: { data: Record<string, unknown> }[] }>(
            'GET',
            `/api/v1/audit-log?type=key.revoked&key_id=${scanned.api_key.id}`,
          ),
        (response) => response.body.events?.length === 1,
      );
      expect(revocation.body.events[0].data).toMatchObject({ reason: 'leaked' });
      expect(revocation.body.events[0].data).not.toHaveProperty('source_url');
      // The scanner quotes the key in its link: the link is kept, the key in it is not.
      const report = await call(base, 'POST', '/api/v1/keys/report-leak', {
        body: { token: key.full_key, source_url: `https://gist.example.com/x?found=${key.full_key}` },
      });
      expect(report.status).toBe(202);
      expect((await call(base, 'GET', '/api/v1/auth/me', { key: key.full_key })).status).toBe(401);
      const view = await user.request('GET', `/api/v1/settings/api-keys/${key.api_key.id}`);
      expect(view.body).toMatchObject({ status: 'revoked', revoked_reason: 'leaked' });
      // The owner is told with a high alert (PRODUCT.md §11), once however often the key is reported.
      const alerts = await waitFor(
        () => user.request<{ alerts: { count: number }[] }>('GET', '/api/v1/security/alerts?rule=key_leaked'),
        (response) => response.body.alerts?.length === 1,
      );
      expect(alerts.body.alerts[0]).toMatchObject({
        rule: 'key_leaked',
        severity: 'high',
        status: 'open',
        key_id: key.api_key.id,
        key_prefix: key.full_key.slice(0, 12),
        count: 1,
        summary: 'The key was reported as exposed in public and has been revoked.',
        evidence: { samples: [`https://gist.example.com/x?found=${key.full_key.slice(0, 12)}…[REDACTED]`] },
      });
      for (const token of [key.full_key, `vxk_${'1'.repeat(64)}`, 'not a key at all']) {
        const answer = await call(base, 'POST', '/api/v1/keys/report-leak', { body: { token } });
        expect(answer.status).toBe(202);
        expect(answer.body).toEqual({ status: 'accepted' });
      }
      for (const body of [{ token: 5 }, {}, [{ token: key.full_key }], { token: null, source_url: 'x' }])
        expect((await call(base, 'POST', '/api/v1/keys/report-leak', { body })).status).toBe(202);
      const again = await user.request<{ alerts: { count: number }[] }>(
        'GET',
        '/api/v1/security/alerts?rule=key_leaked',
      );
      expect(again.body.alerts.map((alert) => alert.count)).toEqual([1]);
    });

    it('answers 202 to every one of many reports of one key sent at once, with a rename racing them', async () => {
      const user = await DashboardUser.signup(base);
      const key = await user.createKey({ name: 'Raced' });
      const [reports, rename] = await Promise.all([
        Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            call(base, 'POST', '/api/v1/keys/report-leak', {
              body: { token: key.full_key, source_url: `https://scanner-${i}.example.com/found` },
            }),
          ),
        ),
        user.request('PATCH', `/api/v1/settings/api-keys/${key.api_key.id}`, { body: { name: 'Raced, renamed' } }),
      ]);
      expect(reports.map((report) => [report.status, report.body])).toEqual(
        Array(12).fill([202, { status: 'accepted' }]),
      );
      expect([200, 409]).toContain(rename.status);
      const view = await user.request('GET', `/api/v1/settings/api-keys/${key.api_key.id}`);
      expect(view.body).toMatchObject({ status: 'revoked', revoked_reason: 'leaked' });
      const revocations = await waitFor(
        () => user.request<{ events: unknown[] }>('GET', `/api/v1/audit-log?type=key.revoked&key_id=${key.api_key.id}`),
        (response) => response.body.events?.length === 1,
      );
      expect(revocations.body.events).toHaveLength(1);
    });
  });

  it('slows down repeated failed logins for one email (key-service tells the gateway how long to wait)', async () => {
    const user = await DashboardUser.signup(base);
    const nats = await connect({ servers: platform.nats.url });
    const credentials = async () =>
      (await nats.request(KeysRpc.credentials, JSON.stringify({ email: user.email }), { timeout: 5_000 })).json<{
        response: LoginCredentials;
      }>().response;
    try {
      expect((await credentials()).delay_ms).toBe(0);
      for (let attempt = 0; attempt < 6; attempt += 1) {
        const response = await call(base, 'POST', '/api/v1/auth/login', {
          body: { email: user.email, password: 'wrong password!!' },
        });
        expect(response.status).toBe(401);
      }
      expect((await credentials()).delay_ms).toBeGreaterThanOrEqual(250);
      // One failure more: the next wrong answer waits 1 s, a right one does not wait at all (PRODUCT.md §2).
      await call(base, 'POST', '/api/v1/auth/login', { body: { email: user.email, password: 'wrong password!!' } });
      expect((await credentials()).delay_ms).toBe(1_000);
      let started = Date.now();
      await call(base, 'POST', '/api/v1/auth/login', { body: { email: user.email, password: 'wrong password!!' } });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      started = Date.now();
      await DashboardUser.login(base, user.email);
      expect(Date.now() - started).toBeLessThan(1_000);
      // A success is never slowed down afterwards: the email's failures are forgotten.
      expect((await credentials()).delay_ms).toBe(0);
    } finally {
      await nats.close();
    }
  });

  it('slows down wrong logins sent at once as if they came one after another', async () => {
    const user = await DashboardUser.signup(base);
    const started = Date.now();
    const took = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const response = await call(base, 'POST', '/api/v1/auth/login', {
          body: { email: user.email, password: 'wrong password!!' },
        });
        expect(response.status).toBe(401);
        return Date.now() - started;
      }),
    );
    // Five free failures, then 250, 500 and 1,000 ms: the last answer waited its place's second.
    expect(Math.max(...took)).toBeGreaterThanOrEqual(1_000);
  });

  it('rebuilds the accounts and api_keys projections from the events with the same rows', async () => {
    await platform.withDatabase('key-service', async (dataSource) => {
      const store = new KeyStore(dataSource, () => new Date());
      const snapshot = async () => ({
        accounts: await dataSource.query(`SELECT * FROM accounts ORDER BY id`),
        apiKeys: await dataSource.query(`SELECT * FROM api_keys ORDER BY id`),
      });
      const before = await snapshot();
      expect(before.accounts.length).toBeGreaterThan(3);
      expect(before.apiKeys.length).toBeGreaterThan(2);
      await dataSource.query(`DELETE FROM accounts`);
      await store.events.rebuild(store.accounts);
      await store.events.rebuild(store.apiKeys);
      expect(await snapshot()).toEqual(before);
    });
  });
});
