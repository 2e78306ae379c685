import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { Client } from 'pg';
import { DashboardUser, PASSWORD, call } from '../support/api-client';
import { TestPlatform } from '../support/platform';
import { dumpDatabase, dumpJetStream, findSecrets } from '../support/secret-scan';
import { waitFor } from '../support/wait';

const KEYS = '/api/v1/settings/api-keys';
const VALID_SHAPE = `vxk_${'0'.repeat(64)}`;

/** Sends bytes that fetch refuses to send (NUL or a bare newline in a header). */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.connect(port, '127.0.0.1', () => socket.write(request));
  });
}

describe('API keys (PRODUCT.md §3)', () => {
  let platform: TestPlatform;
  let base: string;
  let user: DashboardUser;
  /** Every full key this suite saw, for the final scan. */
  const secrets: string[] = [PASSWORD];

  const remember = <T extends { full_key: string }>(created: T): T => {
    secrets.push(created.full_key);
    return created;
  };
  const me = (key: string, headers: Record<string, string> = {}) =>
    call(base, 'GET', '/api/v1/auth/me', { key, headers });

  beforeAll(async () => {
    platform = await TestPlatform.start();
    base = platform.url('gateway');
    user = await DashboardUser.signup(base);
  }, 90_000);
  afterAll(() => platform?.stop());

  describe('create', () => {
    it('answers 201 with the full key once, stored only as a hash; the key authenticates', async () => {
      const created = remember(await user.createKey({ name: 'Development Setup', integrations: ['ai_tools', 'cli'] }));
      expect(created.full_key).toMatch(/^vxk_[0-9a-f]{64}$/);
      expect(created.key_prefix).toBe(created.full_key.slice(0, 12));
      expect(created.api_key).toEqual({
        id: expect.any(String),
        name: 'Development Setup',
        key_prefix: created.key_prefix,
        integrations: ['ai_tools', 'cli'],
        is_legacy: false,
        migration_notes: null,
        status: 'active',
        created_at: expect.any(String),
        updated_at: expect.any(String),
        last_used_at: null,
        request_count: 0,
        last_used_ip: null,
        last_used_location: null,
        last_tool_type: null,
        expires_at: null,
        revoked_at: null,
        revoked_reason: null,
        rotation_due: false,
        replaced_by: null,
        revokes_at: null,
      });
      const whoami = await me(created.full_key);
      expect(whoami.status).toBe(200);
      expect(whoami.body).toEqual({
        ...user.account,
        api_key: {
          id: created.api_key.id,
          name: 'Development Setup',
          key_prefix: created.key_prefix,
          integrations: ['ai_tools', 'cli'],
        },
      });
      const fetched = await user.request('GET', `${KEYS}/${created.api_key.id}`);
      expect(fetched.body.full_key).toBeUndefined();
      expect(JSON.stringify(fetched.body)).not.toContain(created.full_key);
    });

    it('is also reachable at the /api/v1/api-keys alias', async () => {
      const created = await user.request<{ full_key: string }>('POST', '/api/v1/api-keys', {
        body: { name: 'alias', integrations: ['cli'] },
      });
      expect(created.status).toBe(201);
      remember(created.body);
      expect((await user.request('GET', '/api/v1/api-keys')).status).toBe(200);
    });

    it.each([
      ['an empty name', { name: '', integrations: ['cli'] }, 'name'],
      ['a blank name', { name: '   ', integrations: ['cli'] }, 'name'],
      ['a 256-character name', { name: 'x'.repeat(256), integrations: ['cli'] }, 'name'],
      ['no integrations', { name: 'k', integrations: [] }, 'integrations'],
      ['duplicate integrations', { name: 'k', integrations: ['cli', 'cli'] }, 'integrations'],
      ['an unknown integration', { name: 'k', integrations: ['email'] }, 'integrations'],
      ['integrations that are not a list', { name: 'k', integrations: 'cli' }, 'integrations'],
      [
        'expires_at in the past',
        { name: 'k', integrations: ['cli'], expires_at: '2020-01-01T00:00:00Z' },
        'expires_at',
      ],
      ['expires_at that is not a date', { name: 'k', integrations: ['cli'], expires_at: 'tomorrow' }, 'expires_at'],
      // RFC 3339 date-time only: a date alone or a local time would be read in some time zone the client did not say.
      ...[
        '2030-01-01',
        '2030-01-01T00:00:00',
        '2030-01-01 00:00:00Z',
        '+2030-01-01T00:00:00Z',
        '2030-02-30T00:00:00Z',
      ].map((expires_at): [string, object, string] => [
        `expires_at ${expires_at}`,
        { name: 'k', integrations: ['cli'], expires_at },
        'expires_at',
      ]),
      ['an extra field', { name: 'k', integrations: ['cli'], owner: 'me' }, 'owner'],
    ])('refuses %s with 400 VALIDATION_FAILED', async (_, body, field) => {
      const response = await user.request('POST', KEYS, { body });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect((response.body.validation_errors as { field: string }[]).map((e) => e.field)).toContain(field);
    });

    it('takes expires_at with an offset, says one thing about a malformed one', async () => {
      const offset = await user.request<{ api_key: { expires_at: string }; full_key: string }>('POST', KEYS, {
        body: { name: 'k', integrations: ['cli'], expires_at: '2030-01-01T02:00:00.5+02:00' },
      });
      expect(offset.status).toBe(201);
      remember(offset.body);
      expect(offset.body.api_key.expires_at).toBe('2030-01-01T00:00:00.500Z');
      const malformed = await user.request('POST', KEYS, {
        body: { name: 'k', integrations: ['cli'], expires_at: '2030-W01' },
      });
      expect(malformed.body.validation_errors).toEqual([
        { field: 'expires_at', message: 'must be an RFC 3339 timestamp with a time zone, e.g. 2030-01-31T12:00:00Z' },
      ]);
    });

    it('refuses mcp_server with 400 INTEGRATION_RETIRED explaining MCP uses OAuth 2.1', async () => {
      const response = await user.request('POST', KEYS, { body: { name: 'k', integrations: ['cli', 'mcp_server'] } });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('INTEGRATION_RETIRED');
      expect(response.body.detail).toMatch(/OAuth 2\.1/);
    });
  });

  describe('list, get, update', () => {
    it('lists with pagination, status filter and sorting; refuses bad parameters', async () => {
      const owner = await DashboardUser.signup(base);
      for (const name of ['charlie', 'alpha', 'bravo']) remember(await owner.createKey({ name }));
      const revoked = remember(await owner.createKey({ name: 'delta' }));
      expect((await owner.request('DELETE', `${KEYS}/${revoked.api_key.id}`)).status).toBe(204);

      const page = await owner.request<{ api_keys: { name: string }[] }>(
        'GET',
        `${KEYS}?sort_by=name&sort_order=asc&limit=2&page=1`,
      );
      expect(page.status).toBe(200);
      expect(page.body).toMatchObject({ total_count: 3, page: 1, per_page: 2, total_pages: 2 });
      expect(page.body.api_keys.map((k) => k.name)).toEqual(['alpha', 'bravo']);
      const second = await owner.request<{ api_keys: { name: string }[] }>(
        'GET',
        `${KEYS}?sort_by=name&sort_order=asc&limit=2&page=2`,
      );
      expect(second.body.api_keys.map((k) => k.name)).toEqual(['charlie']);
      const newestFirst = await owner.request<{ api_keys: { name: string }[] }>('GET', KEYS);
      expect(newestFirst.body.api_keys.map((k) => k.name)).toEqual(['bravo', 'alpha', 'charlie']);
      const revokedOnly = await owner.request<{ api_keys: { name: string; status: string; revoked_reason: string }[] }>(
        'GET',
        `${KEYS}?status=revoked`,
      );
      expect(revokedOnly.body.api_keys).toEqual([
        expect.objectContaining({ name: 'delta', status: 'revoked', revoked_reason: 'user' }),
      ]);
      expect((await owner.request('GET', `${KEYS}?status=all`)).body.total_count).toBe(4);

      for (const query of [
        'limit=0',
        'limit=101',
        'page=0',
        'page=-1',
        'page=abc',
        // Past the last page a list takes (a database OFFSET that large was a 500).
        'page=1000001',
        'page=1e18',
        'sort_by=secret',
        'sort_order=up',
        'status=gone',
        // Only digits are a number: Number() would read these as 16, 100, 5 and 5.
        'limit=0x10',
        'limit=1e2',
        'limit=%205',
        'limit=+5',
        'page=1.0',
      ]) {
        const bad = await owner.request('GET', `${KEYS}?${query}`);
        expect([query, bad.status, bad.body.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
      }
      // A negative number is told what the least is, not that it is no number.
      const negative = await owner.request('GET', `${KEYS}?limit=-1`);
      expect(negative.body.validation_errors).toEqual([{ field: 'limit', message: 'limit must not be less than 1' }]);
    });

    it('searches by a part of the name in any case or by the start of the display prefix, within the status', async () => {
      const owner = await DashboardUser.signup(base);
      const laptop = remember(await owner.createKey({ name: 'Laptop CLI' }));
      remember(await owner.createKey({ name: 'CI runner (100%_done)' }));
      const oldLaptop = remember(await owner.createKey({ name: 'old laptop' }));
      expect((await owner.request('DELETE', `${KEYS}/${oldLaptop.api_key.id}`)).status).toBe(204);
      const names = async (query: string) => {
        const answer = await owner.request<{ api_keys: { name: string }[]; total_count: number }>(
          'GET',
          `${KEYS}?sort_by=name&sort_order=asc&${query}`,
        );
        expect(answer.status).toBe(200);
        expect(answer.body.total_count).toBe(answer.body.api_keys.length);
        return answer.body.api_keys.map((key) => key.name);
      };
      expect(await names('search=LAPTOP')).toEqual(['Laptop CLI']);
      expect(await names('search=laptop&status=all')).toEqual(['Laptop CLI', 'old laptop']);
      // `%` and `_` are matched as typed, not as wildcards.
      expect(await names(`search=${encodeURIComponent('0%_')}`)).toEqual(['CI runner (100%_done)']);
      expect(await names('search=_')).toEqual(['CI runner (100%_done)']);
      // The display prefix from its start, in any case; its middle is no match.
      expect(await names(`search=${laptop.key_prefix.toUpperCase()}`)).toEqual(['Laptop CLI']);
      expect(await names(`search=${laptop.key_prefix.slice(4, 10)}`)).toEqual([]);
      expect(await names('search=nothing-like-it')).toEqual([]);
      // Another account's keys are never found.
      const other = await DashboardUser.signup(base);
      expect(
        (await other.request<{ api_keys: unknown[] }>('GET', `${KEYS}?search=laptop&status=all`)).body.api_keys,
      ).toEqual([]);
      for (const query of ['search=', `search=${'x'.repeat(256)}`, 'search=a&search=b']) {
        const bad = await owner.request('GET', `${KEYS}?${query}`);
        expect([query, bad.status, bad.body.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
      }
    });

    it('renames and changes integrations; an integration removed takes effect at once', async () => {
      const created = remember(await user.createKey({ name: 'before', integrations: ['ai_tools', 'cli'] }));
      expect((await me(created.full_key)).body).toMatchObject({ api_key: { name: 'before' } });
      const renamed = await user.request('PATCH', `${KEYS}/${created.api_key.id}`, { body: { name: 'after' } });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ name: 'after', integrations: ['ai_tools', 'cli'] });
      expect((await me(created.full_key)).body).toMatchObject({ api_key: { name: 'after' } });
      expect((await call(base, 'GET', KEYS, { key: created.full_key })).body.code).toBe('SESSION_REQUIRED');

      const narrowed = await user.request('PATCH', `${KEYS}/${created.api_key.id}`, {
        body: { integrations: ['ai_tools'] },
      });
      expect(narrowed.body).toMatchObject({ integrations: ['ai_tools'] });
      // /auth/me accepts any integration; a cli route now refuses the key.
      const whoami = await me(created.full_key);
      expect(whoami.body).toMatchObject({ api_key: { integrations: ['ai_tools'] } });
      expect((await call(base, 'GET', '/api/v1/prompts', { key: created.full_key })).body.code).toBe(
        'INTEGRATION_NOT_PERMITTED',
      );

      const retired = await user.request('PATCH', `${KEYS}/${created.api_key.id}`, {
        body: { integrations: ['mcp_server'] },
      });
      expect(retired.body.code).toBe('INTEGRATION_RETIRED');
      const empty = await user.request('PATCH', `${KEYS}/${created.api_key.id}`, { body: { name: '' } });
      expect(empty.status).toBe(400);
    });

    it('answers 404 for another account’s key on every route, and for ids that are not UUIDs', async () => {
      const stranger = await DashboardUser.signup(base);
      const created = remember(await user.createKey());
      const id = created.api_key.id;
      const attempts = [
        stranger.request('GET', `${KEYS}/${id}`),
        stranger.request('PATCH', `${KEYS}/${id}`, { body: { name: 'mine now' } }),
        stranger.request('DELETE', `${KEYS}/${id}`),
        stranger.request('POST', `${KEYS}/${id}/rotate`, { body: {} }),
        user.request('GET', `${KEYS}/not-a-uuid`),
        user.request('GET', `${KEYS}/${randomUUID()}`),
      ];
      for (const response of await Promise.all(attempts)) {
        expect(response.status).toBe(404);
        expect(response.body.code).toBe('RESOURCE_NOT_FOUND');
      }
      expect((await me(created.full_key)).status).toBe(200);
    });

    it('answers 409 to one of two concurrent changes of the same key, never a lost update', async () => {
      const created = remember(await user.createKey({ name: 'race' }));
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          user.request('PATCH', `${KEYS}/${created.api_key.id}`, { body: { name: `writer ${i}` } }),
        ),
      );
      const statuses = outcomes.map((o) => o.status);
      expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
      expect(statuses).toContain(200);
      for (const conflict of outcomes.filter((o) => o.status === 409))
        expect(conflict.body.code).toBe('VERSION_CONFLICT');
      const final = await user.request<{ name: string }>('GET', `${KEYS}/${created.api_key.id}`);
      const winners = outcomes.filter((o) => o.status === 200).map((o) => o.body.name);
      expect(winners).toContain(final.body.name);
    });
  });

  describe('revocation', () => {
    it('refuses a revoked key at once with the same 401 as an unknown key; DELETE again is 204', async () => {
      const created = remember(await user.createKey());
      expect((await me(created.full_key)).status).toBe(200);
      expect((await user.request('DELETE', `${KEYS}/${created.api_key.id}`)).status).toBe(204);
      const refused = await me(created.full_key);
      const unknown = await me(`vxk_${'f'.repeat(64)}`);
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('AUTH_INVALID');
      expect(refused.body.detail).toBe(unknown.body.detail);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="vibexp", error="invalid_token"');
      expect((await user.request('DELETE', `${KEYS}/${created.api_key.id}`)).status).toBe(204);
    });

    it('answers concurrent revocations of one key 204 each, and revokes it once', async () => {
      const created = remember(await user.createKey({ name: 'revoked by many' }));
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => user.request('DELETE', `${KEYS}/${created.api_key.id}`)),
      );
      expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(204));
      expect((await me(created.full_key)).status).toBe(401);
      // A barrier: a key created after the revocations is logged after any event they made (one stream of
      // events, taken in order), so once it is in the log, every key.revoked is too.
      const after = remember(await user.createKey({ name: 'after the revocations' }));
      await waitFor(
        () =>
          user.request<{ events: unknown[] }>('GET', `/api/v1/audit-log?key_id=${after.api_key.id}&type=key.created`),
        (response) => response.body.events.length === 1,
      );
      const log = await user.request<{ events: unknown[] }>(
        'GET',
        `/api/v1/audit-log?key_id=${created.api_key.id}&type=key.revoked`,
      );
      expect(log.body.events).toHaveLength(1);
    });

    it('is refused immediately by a second gateway instance that had the key cached', async () => {
      const second = await platform.startExtraGateway();
      const created = remember(await user.createKey());
      expect((await call(second.url, 'GET', '/api/v1/auth/me', { key: created.full_key })).status).toBe(200);
      expect((await call(second.url, 'GET', '/api/v1/auth/me', { key: created.full_key })).status).toBe(200);
      expect((await user.request('DELETE', `${KEYS}/${created.api_key.id}`)).status).toBe(204);
      const refused = await call(second.url, 'GET', '/api/v1/auth/me', { key: created.full_key });
      expect(refused.status).toBe(401);
    });

    it('shows a rename on a second gateway instance at once (/auth/me names the key)', async () => {
      const second = await platform.startExtraGateway();
      const created = remember(await user.createKey({ name: 'before the rename' }));
      const nameOnSecond = async () =>
        (await call<{ api_key: { name: string } }>(second.url, 'GET', '/api/v1/auth/me', { key: created.full_key }))
          .body.api_key.name;
      expect(await nameOnSecond()).toBe('before the rename');
      const renamed = await user.request('PATCH', `${KEYS}/${created.api_key.id}`, { body: { name: 'after it' } });
      expect(renamed.status).toBe(200);
      // The notice is confirmed by NATS before the answer; the second instance evicts it as it arrives.
      await waitFor(nameOnSecond, (name) => name === 'after it', 1_000);
    });
  });

  describe('rotation', () => {
    it('without grace: a new key with the same name and integrations; the old one is refused at once', async () => {
      const old = remember(await user.createKey({ name: 'CI/CD Pipeline', integrations: ['cli'] }));
      const rotated = await user.request<{
        api_key: { id: string; name: string; integrations: string[] };
        full_key: string;
        key_prefix: string;
        replaces: string;
      }>('POST', `${KEYS}/${old.api_key.id}/rotate`);
      expect(rotated.status).toBe(201);
      remember(rotated.body);
      expect(rotated.body).toMatchObject({
        replaces: old.api_key.id,
        api_key: { name: 'CI/CD Pipeline', integrations: ['cli'] },
      });
      expect(rotated.body.full_key).toMatch(/^vxk_[0-9a-f]{64}$/);
      expect(rotated.body.full_key).not.toBe(old.full_key);
      expect((await me(old.full_key)).status).toBe(401);
      expect((await me(rotated.body.full_key)).status).toBe(200);
      const oldView = await user.request('GET', `${KEYS}/${old.api_key.id}`);
      expect(oldView.body).toMatchObject({
        status: 'revoked',
        revoked_reason: 'rotated',
        replaced_by: rotated.body.api_key.id,
      });
      const again = await user.request('POST', `${KEYS}/${old.api_key.id}/rotate`, { body: {} });
      expect(again.status).toBe(409);
    });

    it('with grace: the old key works until the grace period ends, even across a key-service restart', async () => {
      const old = remember(await user.createKey({ name: 'graceful' }));
      const rotated = await user.request<{ full_key: string; api_key: { id: string } }>(
        'POST',
        `${KEYS}/${old.api_key.id}/rotate`,
        { body: { grace_period_seconds: 3 } },
      );
      expect(rotated.status).toBe(201);
      remember(rotated.body);
      expect((await me(old.full_key)).status).toBe(200);
      expect((await me(rotated.body.full_key)).status).toBe(200);
      // During the grace period the old key is still active, but it has a successor and a revocation time.
      const twice = await user.request('POST', `${KEYS}/${old.api_key.id}/rotate`, { body: {} });
      expect([twice.status, twice.body.code]).toEqual([409, 'KEY_ALREADY_ROTATED']);
      const during = await user.request<{ status: string; replaced_by: string; revokes_at: string }>(
        'GET',
        `${KEYS}/${old.api_key.id}`,
      );
      expect(during.body).toMatchObject({ status: 'active', replaced_by: rotated.body.api_key.id });
      expect(Date.parse(during.body.revokes_at) - Date.now()).toBeGreaterThan(-3_000);
      expect(Date.parse(during.body.revokes_at) - Date.now()).toBeLessThanOrEqual(3_000);

      await platform.restart('key-service');
      const refused = await waitFor(
        () => me(old.full_key),
        (r) => r.status === 401,
        10_000,
      );
      expect(refused.body.code).toBe('AUTH_INVALID');
      const oldView = await waitFor(
        () => user.request<{ status: string; revoked_reason: string }>('GET', `${KEYS}/${old.api_key.id}`),
        (r) => r.body.status === 'revoked',
      );
      expect(oldView.body).toMatchObject({ revoked_reason: 'rotated', revokes_at: null });
      expect((await me(rotated.body.full_key)).status).toBe(200);
    }, 60_000);

    it.each([[-1], [604_801], ['soon']])('refuses grace_period_seconds=%p', async (grace) => {
      const old = remember(await user.createKey());
      const response = await user.request('POST', `${KEYS}/${old.api_key.id}/rotate`, {
        body: { grace_period_seconds: grace },
      });
      expect([response.status, response.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });
  });

  describe('expiry', () => {
    it('refuses a key after expires_at and records key.expired', async () => {
      const created = remember(await user.createKey({ expires_at: new Date(Date.now() + 2_000).toISOString() }));
      expect((await me(created.full_key)).status).toBe(200);
      const refused = await waitFor(
        () => me(created.full_key),
        (r) => r.status === 401,
        8_000,
      );
      expect(refused.body.code).toBe('AUTH_INVALID');
      const view = await waitFor(
        () => user.request<{ status: string; revoked_reason: string }>('GET', `${KEYS}/${created.api_key.id}`),
        (r) => r.body.status === 'revoked',
      );
      expect(view.body.revoked_reason).toBe('expired');
      const client = new Client({ connectionString: platform.databases.get('key-service')!.url });
      await client.connect();
      const { rows } = await client.query(
        `SELECT event_type FROM es_events WHERE stream_id = $1 ORDER BY stream_version`,
        [`api_key-${created.api_key.id}`],
      );
      await client.end();
      expect(rows.map((r) => r.event_type)).toEqual(['key.created', 'key.expired']);
    });
  });

  describe('authenticating a request (§3.4)', () => {
    let cliOnly: string;
    let aiOnly: string;

    beforeAll(async () => {
      cliOnly = remember(await user.createKey({ integrations: ['cli'] })).full_key;
      aiOnly = remember(await user.createKey({ integrations: ['ai_tools'] })).full_key;
    });

    it('401 AUTH_REQUIRED without credentials, with a WWW-Authenticate that has no error attribute', async () => {
      const response = await call(base, 'GET', '/api/v1/settings/api-keys');
      expect([response.status, response.body.code]).toEqual([401, 'AUTH_REQUIRED']);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="vibexp"');
      expect(response.body.detail).toContain('Bearer vxk_');
    });

    it.each([
      ['an empty header', ''],
      ['Bearer alone', 'Bearer'],
      ['Basic credentials', 'Basic dXNlcjpwYXNz'],
      ['a key in double quotes', `Bearer "${VALID_SHAPE}"`],
      ['a key in single quotes', `Bearer '${VALID_SHAPE}'`],
      ['a space inside the key', `Bearer vxk_${'0'.repeat(30)} ${'0'.repeat(34)}`],
      ['a 10 KB token', `Bearer vxk_${'a'.repeat(10_240)}`],
      ['a vxk_ key of the wrong length', `Bearer vxk_${'a'.repeat(63)}`],
      ['a vxk_ key with upper-case hex', `Bearer vxk_${'A'.repeat(64)}`],
      ['non-ASCII characters', 'Bearer vxk_ünïcödé'],
    ])('401 AUTH_MALFORMED for %s, saying what is wrong', async (_, header) => {
      const response = await call(base, 'GET', '/api/v1/auth/me', { headers: { authorization: header } });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('AUTH_MALFORMED');
      expect(response.body.detail).toEqual(expect.any(String));
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="vibexp", error="invalid_token"');
    });

    it('401 AUTH_MALFORMED for two Authorization headers, whichever comes first', async () => {
      const port = Number(new URL(base).port);
      for (const [first, second] of [
        [cliOnly, VALID_SHAPE],
        [VALID_SHAPE, cliOnly],
      ]) {
        const answer = await rawRequest(
          port,
          `GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${first}\r\nauthorization: Bearer ${second}\r\nConnection: close\r\n\r\n`,
        );
        expect(answer).toMatch(/^HTTP\/1\.1 401 /);
        expect(answer).toContain('"code":"AUTH_MALFORMED"');
        expect(answer).toContain('more than one Authorization header');
      }
    });

    it('explains a quote character as a copy-paste error', async () => {
      const response = await call(base, 'GET', '/api/v1/auth/me', {
        headers: { authorization: `Bearer "${VALID_SHAPE}"` },
      });
      expect(response.body.detail).toBe('the key contains a quote character: check for copy-paste errors');
    });

    it('accepts the scheme word in any case', async () => {
      expect(
        (await call(base, 'GET', '/api/v1/auth/me', { headers: { authorization: `bearer ${cliOnly}` } })).status,
      ).toBe(200);
      expect(
        (await call(base, 'GET', '/api/v1/auth/me', { headers: { authorization: `BEARER ${cliOnly}` } })).status,
      ).toBe(200);
    });

    it('answers a header with a NUL byte or a bare newline with a problem+json 400, and a 20 KB header with 431', async () => {
      const port = Number(new URL(base).port);
      const nul = await rawRequest(
        port,
        `GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer vxk_\u0000abc\r\n\r\n`,
      );
      expect(nul).toMatch(/^HTTP\/1\.1 400/);
      expect(nul).toContain('application/problem+json');
      // The headers every answer carries (PRODUCT.md §1), and the same request id in the body.
      const requestId = /\r\nX-Request-Id: ([0-9a-f-]{36})\r\n/.exec(nul)?.[1];
      expect(nul).toContain(`"request_id":"${requestId}"`);
      expect(nul).toContain('\r\nX-Frame-Options: DENY\r\n');
      expect(nul).toContain('\r\nX-Content-Type-Options: nosniff\r\n');
      expect(nul).toContain('forbidden character');
      const ambiguousBody = await rawRequest(
        port,
        `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      );
      expect(ambiguousBody).toMatch(/^HTTP\/1\.1 400/);
      expect(ambiguousBody).toContain('"code":"MALFORMED_REQUEST"');
      expect(ambiguousBody).toContain('body framing');
      const garbage = await rawRequest(port, 'HELLO THERE\r\n\r\n');
      expect(garbage).toMatch(/^HTTP\/1\.1 400/);
      expect(garbage).toContain('not valid HTTP/1.1');
      const newline = await rawRequest(
        port,
        `GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${VALID_SHAPE}\n\n\r\n\r\n`,
      );
      expect(newline).toMatch(/^HTTP\/1\.1 (400|401)/);
      const huge = await rawRequest(
        port,
        `GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      expect(huge).toMatch(/^HTTP\/1\.1 431/);
      expect(huge).toContain('\r\nX-Request-Id: ');
    });

    it('401 AUTH_INVALID for an unknown key', async () => {
      const response = await me(`vxk_${'e'.repeat(64)}`);
      expect([response.status, response.body.code]).toEqual([401, 'AUTH_INVALID']);
    });

    it('403 INTEGRATION_NOT_PERMITTED naming the integration, with WWW-Authenticate insufficient_scope', async () => {
      const hookRoute = await call(base, 'GET', '/api/v1/prompts', { key: aiOnly });
      expect(hookRoute.status).toBe(403);
      expect(hookRoute.body.code).toBe('INTEGRATION_NOT_PERMITTED');
      expect(hookRoute.body.detail).toContain('cli');
      // The seed page's "AI Tools" key reads prompts too, when it says so: the answer tells how (PRODUCT.md §3.2).
      expect(hookRoute.body.detail).toContain('X-VibeXP-Integration: ai_tools');
      expect(hookRoute.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="cli"');
      // The audit log needs cli whatever a request declares: no such way there.
      const auditLog = await call(base, 'GET', '/api/v1/audit-log', { key: aiOnly });
      expect([auditLog.status, auditLog.body.detail]).toEqual([
        403,
        expect.not.stringContaining('X-VibeXP-Integration'),
      ]);
      const declared = await call(base, 'GET', '/api/v1/prompts', {
        key: cliOnly,
        headers: { 'X-VibeXP-Integration': 'ai_tools' },
      });
      expect(declared.status).toBe(403);
      expect(declared.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="ai_tools"');
      const invalid = await call(base, 'GET', '/api/v1/prompts', {
        key: cliOnly,
        headers: { 'X-VibeXP-Integration': 'mcp_server' },
      });
      expect([invalid.status, invalid.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('400 for an X-VibeXP-Integration that is no integration with a session too; a real one changes nothing for it', async () => {
      const session = await DashboardUser.signup(base);
      for (const path of ['/api/v1/prompts', '/api/v1/auth/me']) {
        const invalid = await session.request('GET', path, { headers: { 'X-VibeXP-Integration': 'zzz' } });
        expect([path, invalid.status, invalid.body.code]).toEqual([path, 400, 'VALIDATION_FAILED']);
        const declared = await session.request('GET', path, { headers: { 'X-VibeXP-Integration': 'ai_tools' } });
        expect([path, declared.status]).toEqual([path, 200]);
      }
    });

    it('403 SESSION_REQUIRED for an API key on a settings route (a key never manages keys)', async () => {
      for (const [method, path] of [
        ['GET', KEYS],
        ['POST', KEYS],
        ['GET', '/api/v1/api-keys'],
      ] as const) {
        const response = await call(base, method, path, {
          key: cliOnly,
          body: method === 'POST' ? { name: 'x', integrations: ['cli'] } : undefined,
        });
        expect([path, response.status, response.body.code]).toEqual([path, 403, 'SESSION_REQUIRED']);
      }
    });

    it('401 OAUTH_REQUIRED for an API key on the MCP endpoint, pointing at the protected-resource metadata', async () => {
      const mcp = '/mcp/v1/common';
      const withKey = await call(base, 'POST', mcp, { key: cliOnly, body: { jsonrpc: '2.0', id: 1, method: 'ping' } });
      expect([withKey.status, withKey.body.code]).toEqual([401, 'OAUTH_REQUIRED']);
      expect(withKey.body.detail).toContain('OAuth 2.1');
      const host = new URL(base).host;
      expect(withKey.headers.get('www-authenticate')).toBe(
        `Bearer realm="vibexp", error="invalid_token", resource_metadata="http://${host}/.well-known/oauth-protected-resource${mcp}"`,
      );
      // Without credentials: §3.4's first row, no error attribute (RFC 6750), and the metadata to discover OAuth.
      const anonymous = await call(base, 'GET', mcp);
      expect([anonymous.status, anonymous.body.code]).toEqual([401, 'AUTH_REQUIRED']);
      expect(anonymous.headers.get('www-authenticate')).toBe(
        `Bearer realm="vibexp", resource_metadata="http://${host}/.well-known/oauth-protected-resource${mcp}"`,
      );
      // The key still works where keys belong: the refusal did not count it as anything else.
      expect((await me(cliOnly)).status).toBe(200);
    });

    it('records an API key on the MCP endpoint as any refusal: the key, and why (§8 reasons)', async () => {
      const owner = await DashboardUser.signup(base);
      const usable = remember(await owner.createKey({ name: 'usable' }));
      const revoked = remember(await owner.createKey({ name: 'revoked' }));
      expect((await owner.request('DELETE', `/api/v1/settings/api-keys/${revoked.api_key.id}`)).status).toBe(204);
      const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
      for (const key of [usable.full_key, revoked.full_key]) {
        const refused = await call(base, 'POST', '/mcp/v1/common', { key, body: ping });
        expect([refused.status, refused.body.code]).toEqual([401, 'OAUTH_REQUIRED']);
      }
      type Failure = { key_id: string | null; data: { reason: string } };
      const failures = await waitFor(
        () => owner.request<{ events: Failure[] }>('GET', '/api/v1/audit-log?type=auth.failed'),
        (response) => response.body.events?.length === 2,
      );
      const reasons = Object.fromEntries(failures.body.events.map((event) => [event.key_id, event.data.reason]));
      // A usable key lacks what the route needs; a revoked one is recorded as revoked (and alerts as such).
      expect(reasons).toEqual({ [usable.api_key.id]: 'integration', [revoked.api_key.id]: 'revoked' });
      await waitFor(
        () => owner.request<{ alerts: { rule: string; key_id: string }[] }>('GET', '/api/v1/security/alerts'),
        (response) => response.body.alerts?.some((alert) => alert.rule === 'revoked_key_use') === true,
      );
      // The account's limit is not touched by a refusal that is a 401.
      expect((await me(usable.full_key)).headers.get('x-ratelimit-remaining')).toBe('999');
    });

    it('403 ACCOUNT_SUSPENDED once an admin suspends the account, and back after reactivation', async () => {
      // This platform runs without ADMIN_TOKEN (the admin suite covers the HTTP route): ask key-service directly.
      const victim = await DashboardUser.signup(base);
      const key = remember(await victim.createKey()).full_key;
      expect((await me(key)).status).toBe(200);
      const { connect } = await import('@nats-io/transport-node');
      const nats = await connect({ servers: platform.nats.url });
      try {
        const suspend = async (status: string) =>
          nats.request(
            'keys.rpc.admin.accounts.update',
            JSON.stringify({ account_id: victim.account.id, status, meta: { request_id: 'test' } }),
            { timeout: 5_000 },
          );
        await suspend('suspended');
        const refused = await me(key);
        expect([refused.status, refused.body.code]).toEqual([403, 'ACCOUNT_SUSPENDED']);
        // An API-key answer carries the limit headers (PRODUCT.md §4), but a suspended account's request is not counted.
        expect(refused.headers.get('x-ratelimit-remaining')).toBe('999');
        expect((await me(key)).headers.get('x-ratelimit-remaining')).toBe('999');
        expect((await victim.request('GET', KEYS)).body.code).toBe('ACCOUNT_SUSPENDED');
        await suspend('active');
        const back = await me(key);
        expect([back.status, back.headers.get('x-ratelimit-remaining')]).toEqual([200, '998']);
      } finally {
        await nats.close();
      }
    });

    it('masks a key pasted into the User-Agent, a path or a field name, in the answer (and, by the last test, everywhere)', async () => {
      const pasted = await me(cliOnly, { 'user-agent': `my-script/1.0 (${cliOnly})` });
      expect(pasted.status).toBe(200);
      // Glued to what precedes it, too, and as a request id (which would travel into every event).
      expect((await me(cliOnly, { 'user-agent': `tool/1_${cliOnly}` })).status).toBe(200);
      const asRequestId = await me(cliOnly, { 'x-request-id': cliOnly });
      expect(asRequestId.headers.get('x-request-id')).not.toContain(cliOnly.slice(0, 13));
      const field = await call(base, 'POST', '/api/v1/memories', {
        key: cliOnly,
        body: { text: 'x', [cliOnly]: 1, [`bogus_${cliOnly}`]: 2 },
      });
      expect([field.status, field.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const path = await call(base, 'GET', `/api/v1/memories/x${cliOnly}`, { key: cliOnly });
      expect(path.status).toBeGreaterThanOrEqual(400);
      for (const answer of [field, path]) {
        expect(JSON.stringify(answer.body)).not.toContain(cliOnly.slice(0, 13));
        expect(JSON.stringify(answer.body)).toContain('[REDACTED]');
      }
    });

    it('records auth.failed with its reason, key prefix and key id in the audit trail', async () => {
      const created = remember(await user.createKey({ integrations: ['ai_tools'] }));
      await call(base, 'GET', '/api/v1/prompts', { key: created.full_key });
      await me(`${created.key_prefix}${'0'.repeat(56)}`);
      await user.request('DELETE', `${KEYS}/${created.api_key.id}`);
      await me(created.full_key);
      const client = new Client({ connectionString: platform.databases.get('audit-service')!.url });
      await client.connect();
      try {
        const rows = await waitFor(
          async () =>
            (
              await client.query<{ data: { reason: string; key_prefix?: string; key_id?: string } }>(
                `SELECT data FROM audit_log WHERE event_type = 'auth.failed' AND data->>'key_prefix' = $1 ORDER BY occurred_at`,
                [created.key_prefix],
              )
            ).rows,
          (found) => found.length >= 3,
        );
        expect(rows.map((r) => r.data.reason)).toEqual(['integration', 'unknown', 'revoked']);
        expect(rows[0].data.key_id).toBe(created.api_key.id);
        expect(rows[1].data.key_id).toBeUndefined();
        // None of the refusals was a use: once a later success of another key is stored, the refused key has none.
        const usedCount = async (keyId: string) =>
          (
            await client.query(
              `SELECT count(*)::int AS n FROM audit_log WHERE event_type = 'key.used' AND key_id = $1`,
              [keyId],
            )
          ).rows[0].n as number;
        const witness = remember(await user.createKey({ integrations: ['cli'] }));
        expect((await me(witness.full_key)).status).toBe(200);
        await waitFor(
          () => usedCount(witness.api_key.id),
          (n) => n === 1,
        );
        expect(await usedCount(created.api_key.id)).toBe(0);
      } finally {
        await client.end();
      }
    });
    describe('a request refused before routing is authenticated first', () => {
      /** Requests a route never sees: a body that is not JSON, of another type or too large; no route; no method. */
      const refusedBeforeRouting = (auth: Record<string, string>) => [
        () =>
          call(base, 'POST', '/api/v1/memories', {
            rawBody: '{bad',
            headers: { ...auth, 'content-type': 'application/json' },
          }),
        () =>
          call(base, 'POST', '/api/v1/memories', {
            rawBody: 'text',
            headers: { ...auth, 'content-type': 'text/plain' },
          }),
        () =>
          call(base, 'POST', '/api/v1/memories', {
            rawBody: JSON.stringify({ text: 'x'.repeat(2 * 1024 * 1024) }),
            headers: { ...auth, 'content-type': 'application/json' },
          }),
        () => call(base, 'GET', '/api/v1/no-such-route', { headers: auth }),
        () => call(base, 'DELETE', '/api/v1/auth/me', { headers: auth }),
      ];
      const EARLY_ANSWERS = [
        [400, 'INVALID_JSON'],
        [415, 'UNSUPPORTED_MEDIA_TYPE'],
        [413, 'PAYLOAD_TOO_LARGE'],
        [404, 'NOT_FOUND'],
        [405, 'METHOD_NOT_ALLOWED'],
      ];
      const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
      const sendAll = async (auth: Record<string, string>) => {
        const answers = [];
        for (const send of refusedBeforeRouting(auth)) answers.push(await send());
        return answers;
      };
      let audit: Client;
      beforeAll(async () => {
        audit = new Client({ connectionString: platform.databases.get('audit-service')!.url });
        await audit.connect();
      });
      afterAll(() => audit?.end());
      const eventsOfKey = (type: string, keyId: string, expected: number) =>
        waitFor(
          async () =>
            (
              await audit.query<{ data: { status: number; reason?: string; route?: string; action: string } }>(
                `SELECT data FROM audit_log WHERE event_type = $1 AND key_id = $2 ORDER BY occurred_at, event_id`,
                [type, keyId],
              )
            ).rows.map((row) => row.data),
          (rows) => rows.length >= expected,
        );

      it('refuses a revoked key with 401 AUTH_INVALID, recorded (its alert counts every attempt)', async () => {
        const revoked = remember(await user.createKey({ integrations: ['cli'] }));
        await user.request('DELETE', `${KEYS}/${revoked.api_key.id}`);
        const answers = await sendAll(bearer(revoked.full_key));
        expect(answers.map((a) => [a.status, a.body.code])).toEqual(EARLY_ANSWERS.map(() => [401, 'AUTH_INVALID']));
        for (const answer of answers)
          expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="vibexp", error="invalid_token"');
        const failures = await eventsOfKey('auth.failed', revoked.api_key.id, EARLY_ANSWERS.length);
        expect(failures.map((f) => [f.reason, f.status])).toEqual(EARLY_ANSWERS.map(() => ['revoked', 401]));
        // A known route is named by its template; an unknown one by nothing (its path could hold anything).
        expect(failures.map((f) => f.action)).toEqual([
          'memories.create',
          'memories.create',
          'memories.create',
          'unknown',
          'unknown',
        ]);
        const alerts = await waitFor(
          () => user.request('GET', `/api/v1/security/alerts?rule=revoked_key_use&key_id=${revoked.api_key.id}`),
          (found) => (found.body.alerts as { count: number }[])[0]?.count === EARLY_ANSWERS.length,
        );
        expect((alerts.body.alerts as { count: number }[])[0].count).toBe(EARLY_ANSWERS.length);
      });

      it('answers a valid key’s request as before, counted against the hourly limit, with its headers, as key.used', async () => {
        const valid = remember(await user.createKey({ integrations: ['cli'] }));
        const before = Number((await me(valid.full_key)).headers.get('x-ratelimit-remaining'));
        const answers = await sendAll(bearer(valid.full_key));
        expect(answers.map((a) => [a.status, a.body.code])).toEqual(EARLY_ANSWERS);
        expect(answers.map((a) => Number(a.headers.get('x-ratelimit-remaining')))).toEqual(
          EARLY_ANSWERS.map((_, index) => before - 1 - index),
        );
        for (const answer of answers) {
          expect(answer.headers.get('ratelimit-policy')).toMatch(/^"hourly";q=\d+;w=3600$/);
          expect(answer.headers.get('cache-control')).toBe('no-store');
        }
        const uses = await eventsOfKey('key.used', valid.api_key.id, EARLY_ANSWERS.length + 1);
        // By status: a 413 is answered before its body is read, so its event may come after the next request's.
        const byStatus = uses.slice(1).sort((a, b) => a.status - b.status);
        expect(byStatus.map((u) => [u.status, u.route, u.action])).toEqual([
          [400, '/api/v1/memories', 'memories.create'],
          [404, '(unmatched)', 'unknown'],
          [405, '(unmatched)', 'unknown'],
          [413, '/api/v1/memories', 'memories.create'],
          [415, '/api/v1/memories', 'memories.create'],
        ]);
      });

      it('applies the route’s own checks: its integration, the session-only routes', async () => {
        const hooksOnly = remember(await user.createKey({ integrations: ['ai_tools'] }));
        const [badJson] = await sendAll(bearer(hooksOnly.full_key));
        expect([badJson.status, badJson.body.code]).toEqual([403, 'INTEGRATION_NOT_PERMITTED']);
        const settings = await call(base, 'POST', KEYS, {
          rawBody: '{bad',
          headers: { ...bearer(hooksOnly.full_key), 'content-type': 'application/json' },
        });
        expect([settings.status, settings.body.code]).toEqual([403, 'SESSION_REQUIRED']);
        // A session without its CSRF token, and no credentials at all, are refused before the body is read too.
        const session = await call(base, 'POST', KEYS, {
          rawBody: '{bad',
          headers: { cookie: `vx_session=${user.cookie}`, 'content-type': 'application/json' },
        });
        expect([session.status, session.body.code]).toEqual([403, 'CSRF_FAILED']);
        const anonymous = await call(base, 'POST', '/api/v1/memories', {
          rawBody: '{bad',
          headers: { 'content-type': 'application/json' },
        });
        expect([anonymous.status, anonymous.body.code]).toEqual([401, 'AUTH_REQUIRED']);
        // Public routes check no credentials: a broken sign-up is its 400 whatever it carries.
        const signup = await call(base, 'POST', '/api/v1/auth/signup', {
          rawBody: '{bad',
          headers: { ...bearer(hooksOnly.full_key), 'content-type': 'application/json' },
        });
        expect([signup.status, signup.body.code]).toEqual([400, 'INVALID_JSON']);
      });

      it('authenticates a path whose parameter is not percent-encoded UTF-8 before its 400', async () => {
        const revoked = remember(await user.createKey({ integrations: ['cli'] }));
        await user.request('DELETE', `${KEYS}/${revoked.api_key.id}`);
        const refused = await call(base, 'GET', '/api/v1/prompts/%ZZ', { key: revoked.full_key });
        expect([refused.status, refused.body.code]).toEqual([401, 'AUTH_INVALID']);
        const anonymous = await call(base, 'GET', '/api/v1/prompts/%ZZ');
        expect([anonymous.status, anonymous.body.code]).toEqual([401, 'AUTH_REQUIRED']);
        const valid = remember(await user.createKey({ integrations: ['cli'] }));
        const answered = await call(base, 'GET', '/api/v1/prompts/%ZZ', { key: valid.full_key });
        expect([answered.status, answered.body.code]).toEqual([400, 'VALIDATION_FAILED']);
        expect(answered.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
        const failures = await eventsOfKey('auth.failed', revoked.api_key.id, 1);
        expect(failures.map((f) => [f.reason, f.action])).toEqual([['revoked', 'prompts.get']]);
      });

      it('refuses a malformed key on an unknown route; without credentials an unknown route stays 404, unrecorded', async () => {
        const bare = `early-bare-${randomUUID()}`;
        const malformed = `early-malformed-${randomUUID()}`;
        expect((await call(base, 'GET', '/api/v1/no-such-route', { headers: { 'x-request-id': bare } })).status).toBe(
          404,
        );
        const answer = await call(base, 'GET', '/api/v1/no-such-route', {
          headers: { 'x-request-id': malformed, authorization: 'Bearer vxk_short' },
        });
        expect([answer.status, answer.body.code]).toEqual([401, 'AUTH_MALFORMED']);
        const byRequest = (id: string) =>
          audit.query<{ data: { reason: string; status: number } }>(
            `SELECT data FROM audit_log WHERE event_type = 'auth.failed' AND request_id = $1`,
            [id],
          );
        const recorded = await waitFor(
          async () => (await byRequest(malformed)).rows,
          (rows) => rows.length === 1,
        );
        expect([recorded[0].data.reason, recorded[0].data.status]).toEqual(['malformed', 401]);
        // Published before the malformed one, on the same stream: stored by now if it were recorded at all.
        expect((await byRequest(bare)).rows).toEqual([]);
      });
    });
  });

  it('leaves no plaintext key or password in any log line, event, NATS message or table (runs last)', async () => {
    // Let the last events reach every consumer.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(secrets.length).toBeGreaterThan(10);
    const haystacks = {
      logs: platform.allOutput(),
      jetstream: await dumpJetStream(platform.nats.url),
      keysDatabase: await dumpDatabase(platform.databases.get('key-service')!.url),
      auditDatabase: await dumpDatabase(platform.databases.get('audit-service')!.url),
      contentDatabase: await dumpDatabase(platform.databases.get('content-service')!.url),
    };
    expect(haystacks.auditDatabase).toContain('key.created');
    expect(haystacks.jetstream).toContain('auth.failed');
    for (const [where, text] of Object.entries(haystacks))
      expect([where, findSecrets(text, secrets)]).toEqual([where, []]);
  });
});
