import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { DashboardUser, PASSWORD, call } from '../support/api-client';
import { TestPlatform } from '../support/platform';

const ADMIN_TOKEN = `test-admin-token-${randomUUID()}`;
const NUL = '\u0000';

/**
 * Values no field can take are 400 VALIDATION_FAILED naming the field, before any service sees them, and
 * nothing is stored. Before, each of these requests reached a service and failed there as 500.
 */
describe('values no field can take (PRODUCT.md §1)', () => {
  let platform: TestPlatform;
  let base: string;
  let user: DashboardUser;
  let key: string;

  beforeAll(async () => {
    platform = await TestPlatform.start({ gatewayEnv: { ADMIN_TOKEN } });
    base = platform.url('gateway');
    user = await DashboardUser.signup(base);
    key = (await user.createKey()).full_key;
  }, 90_000);
  afterAll(() => platform?.stop());

  const refusedFor = (field: string, message: string) => ({
    status: 400,
    code: 'VALIDATION_FAILED',
    validation_errors: [{ field, message }],
  });
  const refusedNul = (field: string) => refusedFor(field, 'must not contain a NUL character (\\u0000)');
  const refusedNull = (field: string, message = 'must not be null: leave the field out instead') =>
    refusedFor(field, message);
  const outcome = (response: { status: number; body: Record<string, unknown> }) => ({
    status: response.status,
    code: response.body.code,
    validation_errors: response.body.validation_errors,
  });

  /** PostgreSQL's text cannot hold a NUL character or a lone surrogate. */
  describe('a NUL character or a lone surrogate anywhere in the input', () => {
    it('refuses it in a signup body and creates no account', async () => {
      const email = `nul-${randomUUID().slice(0, 8)}@example.com`;
      const signup = await call(base, 'POST', '/api/v1/auth/signup', {
        body: { email, password: PASSWORD, name: `a${NUL}b` },
      });
      expect(outcome(signup)).toEqual(refusedNul('name'));
      expect((await call(base, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } })).status).toBe(
        401,
      );
      const login = await call(base, 'POST', '/api/v1/auth/login', { body: { email: `${NUL}`, password: PASSWORD } });
      expect(outcome(login)).toEqual(refusedNul('email'));
    });

    it('refuses it in a key name, on create and on rename, and keeps the old name', async () => {
      const created = await user.request('POST', '/api/v1/settings/api-keys', {
        body: { name: `k${NUL}`, integrations: ['cli'] },
      });
      expect(outcome(created)).toEqual(refusedNul('name'));
      const { api_key } = await user.createKey({ name: 'kept' });
      const renamed = await user.request('PATCH', `/api/v1/settings/api-keys/${api_key.id}`, {
        body: { name: `x${NUL}y` },
      });
      expect(outcome(renamed)).toEqual(refusedNul('name'));
      const listed = await user.request<{ api_keys: { id: string; name: string }[] }>(
        'GET',
        '/api/v1/settings/api-keys',
      );
      expect(listed.body.api_keys.find((k) => k.id === api_key.id)?.name).toBe('kept');
    });

    it('refuses it in content, nested in arrays, and in a body key', async () => {
      expect(
        outcome(await call(base, 'POST', '/api/v1/memories', { key, body: { text: 'ok', labels: ['a', `b${NUL}`] } })),
      ).toEqual(refusedNul('labels[1]'));
      expect(
        outcome(await call(base, 'POST', '/api/v1/memories', { key, body: { text: 'ok', [`x${NUL}`]: 1 } })),
      ).toEqual(refusedNul('x\\u0000'));
      // Half of a surrogate pair is valid JSON (`"\ud800"`) but not Unicode: PostgreSQL refuses it too.
      expect(outcome(await call(base, 'POST', '/api/v1/memories', { key, body: { text: 'x\ud800y' } }))).toEqual({
        status: 400,
        code: 'VALIDATION_FAILED',
        validation_errors: [
          { field: 'text', message: 'must be valid Unicode: a lone surrogate (\\ud800) is not a character' },
        ],
      });
      const memories = await call<{ memories: unknown[] }>(base, 'GET', '/api/v1/memories', { key });
      expect(memories.body.memories).toEqual([]);
    });

    it('refuses it in a query parameter and in a path segment (%00)', async () => {
      expect(outcome(await call(base, 'GET', '/api/v1/audit-log?action=a%00b', { key }))).toEqual(refusedNul('action'));
      const byId = await call(base, 'GET', '/api/v1/prompts/a%00b', { key });
      expect([byId.status, byId.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const admin = await call(base, 'GET', '/admin/v1/accounts?email=%00', { key: ADMIN_TOKEN });
      expect(outcome(admin)).toEqual(refusedNul('email'));
    });

    it('refuses a legacy import line with it on that line only', async () => {
      const good = { email: user.email, key_sha256: 'ab'.repeat(32), name: 'imported' };
      const response = await call<{ created: number; failed: number; results: unknown[] }>(
        base,
        'POST',
        '/admin/v1/legacy-keys/import',
        {
          key: ADMIN_TOKEN,
          headers: { 'content-type': 'application/x-ndjson' },
          rawBody: [JSON.stringify({ ...good, name: `n${NUL}` }), JSON.stringify(good)].join('\n'),
        },
      );
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ created: 1, failed: 1 });
      expect(response.body.results).toEqual([
        { line: 1, status: 'error', error: 'name must not contain a NUL character (\\u0000)' },
        { line: 2, status: 'created', key_id: expect.any(String) },
      ]);
    });
  });

  it('refuses a number beyond a double (1e400) in a body or a metadata filter, rather than storing or matching null', async () => {
    const before = await call<{ total_count: number }>(base, 'GET', '/api/v1/memories', { key });
    const memory = await call(base, 'POST', '/api/v1/memories', {
      key,
      rawBody: '{"text":"huge","metadata":{"n":1e400}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(outcome(memory)).toEqual(refusedFor('metadata.n', 'must be a number within ±1.7976931348623157e308'));
    const artifact = await call(base, 'POST', '/api/v1/artifacts', {
      key,
      rawBody: '{"project":"p","title":"t","content":"c","metadata":{"n":[1,-1e400]}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(outcome(artifact)).toEqual(refusedFor('metadata.n[1]', 'must be a number within ±1.7976931348623157e308'));
    const after = await call<{ total_count: number }>(base, 'GET', '/api/v1/memories', { key });
    expect(after.body.total_count).toBe(before.body.total_count);
    // A stored null is not what a filter for 1e400 asked for.
    const nullValued = await call(base, 'POST', '/api/v1/memories', {
      key,
      body: { text: 'n', metadata: { n: null } },
    });
    expect(nullValued.status).toBe(201);
    const filtered = await call(base, 'GET', `/api/v1/memories?metadata=${encodeURIComponent('{"n":[1e400]}')}`, {
      key,
    });
    expect([filtered.status, filtered.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('refuses a body nested more than 32 levels deep, and one over 64 before parsing it (200,000 levels once overflowed the stack: 500)', async () => {
    const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    const signup = (rawBody: string) =>
      call(base, 'POST', '/api/v1/auth/signup', { rawBody, headers: { 'content-type': 'application/json' } });
    const parsed = await signup(nested(40));
    expect([parsed.status, parsed.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(parsed.body.validation_errors).toEqual([
      { field: expect.stringMatching(/^a(\.a){31}$/), message: 'is nested more than 32 levels deep' },
    ]);
    // Far deeper: refused from the bytes, before JSON.parse spends its time on them, on any path.
    for (const answer of [
      await signup(nested(200_000)),
      await call(base, 'POST', '/api/v1/no-such-route', {
        rawBody: `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`,
        headers: { 'content-type': 'application/json' },
      }),
    ]) {
      expect([answer.status, answer.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(answer.body.validation_errors).toEqual([
        { field: '(body)', message: 'is nested more than 64 levels deep' },
      ]);
    }
  });

  it('refuses an object of more than 2,500 members from the bytes, at once, on any path (184,000 held the gateway 28 s)', async () => {
    const members = (count: number) => Array.from({ length: count }, (_, i) => `"f${i}":1`).join(',');
    const wide = `{"email":"wide@example.com","password":"a long password 123","name":"Wide",${members(184_000)}}`;
    const [refused, placeholders, health] = await Promise.all([
      call(base, 'POST', '/api/v1/auth/signup', { rawBody: wide, headers: { 'content-type': 'application/json' } }),
      user.request('POST', '/api/v1/prompts/none/render', {
        rawBody: `{"placeholders":{${members(2_501)}}}`,
        headers: { 'content-type': 'application/json' },
      }),
      call(base, 'GET', '/healthz'),
    ]);
    for (const answer of [refused, placeholders]) {
      expect([answer.status, answer.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(answer.body.validation_errors).toEqual([
        { field: '(body)', message: 'holds an object with more than 2500 members' },
      ]);
    }
    expect(health.status).toBe(200);
    const metadata = await call(base, 'POST', '/api/v1/memories', {
      key,
      body: {
        text: 'many small fields',
        metadata: Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`k${i}`, i])),
      },
    });
    expect(metadata.status).toBe(201);
    // At the limit the body is read: here the prompt does not exist.
    const atLimit = await user.request('POST', '/api/v1/prompts/none/render', {
      rawBody: `{"placeholders":{${members(2_500).replaceAll(':1', ':"v"')}}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(atLimit.status).toBe(404);
  });

  it('refuses a content name or title with a line break or a bidirectional override, and keeps right-to-left marks', async () => {
    const create = (path: string, body: Record<string, unknown>) => call(base, 'POST', `/api/v1${path}`, { key, body });
    for (const [path, body] of [
      ['/prompts', { name: 'invoice\u202Etxt.exe', body: 'b' }],
      ['/prompts', { name: 'two\nlines', body: 'b' }],
      ['/artifacts', { project: 'p', title: 'a\u202Db', content: 'c' }],
      ['/memories', { text: 't', title: 'tab\there' }],
    ] as const) {
      const refused = await create(path, body);
      expect([path, refused.status, refused.body.code]).toEqual([path, 400, 'VALIDATION_FAILED']);
    }
    const rtl = await create('/memories', { text: 't', title: 'שלום\u200F (v2)' });
    expect(rtl.status).toBe(201);
    const renamed = await call(base, 'PUT', `/api/v1/memories/${rtl.body.id}`, { key, body: { title: 'x\u202Ey' } });
    expect(renamed.status).toBe(400);
  });

  /** class-validator's @IsOptional lets null through as if absent; a service then took it for a value. */
  describe('null where a field cannot be null', () => {
    it('refuses null for a key name or integrations and leaves the key as it was', async () => {
      const { api_key } = await user.createKey({ name: 'as it was', integrations: ['cli'] });
      for (const field of ['name', 'integrations']) {
        const patched = await user.request('PATCH', `/api/v1/settings/api-keys/${api_key.id}`, {
          body: { [field]: null },
        });
        expect(outcome(patched)).toEqual(refusedNull(field));
      }
      const rotated = await user.request('POST', `/api/v1/settings/api-keys/${api_key.id}/rotate`, {
        body: { grace_period_seconds: null },
      });
      expect(outcome(rotated)).toEqual(refusedNull('grace_period_seconds'));
      const listed = await user.request<{ api_keys: { id: string; name: string; integrations: string[] }[] }>(
        'GET',
        '/api/v1/settings/api-keys',
      );
      expect(listed.body.api_keys.find((k) => k.id === api_key.id)).toMatchObject({
        name: 'as it was',
        integrations: ['cli'],
      });
    });

    it('takes null where the contract allows it: expires_at on create means "never"', async () => {
      const created = await user.request<{ api_key: { expires_at: unknown } }>('POST', '/api/v1/settings/api-keys', {
        body: { name: 'never expires', integrations: ['cli'], expires_at: null },
      });
      expect(created.status).toBe(201);
      expect(created.body.api_key.expires_at).toBeNull();
    });

    it('refuses null for a content field on update, but null clears a memory title', async () => {
      const prompt = await call<{ id: string }>(base, 'POST', '/api/v1/prompts', {
        key,
        body: { name: 'Null check', body: 'Hello' },
      });
      for (const field of ['name', 'body', 'description', 'status', 'labels', 'mcp_expose']) {
        const updated = await call(base, 'PUT', `/api/v1/prompts/${prompt.body.id}`, { key, body: { [field]: null } });
        expect(outcome(updated)).toEqual(refusedNull(field));
      }
      const memory = await call<{ id: string }>(base, 'POST', '/api/v1/memories', {
        key,
        body: { text: 'remember', title: 'a title' },
      });
      const cleared = await call(base, 'PUT', `/api/v1/memories/${memory.body.id}`, { key, body: { title: null } });
      expect([cleared.status, cleared.body.title, cleared.body.text]).toEqual([200, null, 'remember']);
      const text = await call(base, 'PUT', `/api/v1/memories/${memory.body.id}`, { key, body: { text: null } });
      expect(outcome(text)).toEqual(refusedNull('text'));
    });

    it('names a required field and a nested one without suggesting to leave it out', async () => {
      const settings = await user.request('PUT', '/api/v1/settings/security', {
        body: {
          timezone: 'UTC',
          working_hours: { days: [1], start: null, end: '17:00' },
          webhook_url: null,
          auto_revoke_on: [],
        },
      });
      expect(outcome(settings)).toEqual(refusedNull('working_hours.start', 'must not be null'));
      const admin = await call(base, 'PATCH', `/admin/v1/accounts/${user.account.id}`, {
        key: ADMIN_TOKEN,
        body: { tier: null },
      });
      expect(outcome(admin)).toEqual(refusedNull('tier'));
    });
  });

  it('refuses a newline or a right-to-left override in a key or account name, which would make it read as another', async () => {
    const message = 'must not contain control characters or bidirectional controls (such as U+202E)';
    for (const name of ['line\nbreak', 'report\u202Etxt.exe']) {
      const created = await user.request('POST', '/api/v1/settings/api-keys', {
        body: { name, integrations: ['cli'] },
      });
      expect(outcome(created)).toEqual(refusedFor('name', message));
    }
    const { api_key } = await user.createKey({ name: 'Équipe 👨‍👩‍👧' });
    const renamed = await user.request('PATCH', `/api/v1/settings/api-keys/${api_key.id}`, {
      body: { name: 'evil\u2066name' },
    });
    expect(outcome(renamed)).toEqual(refusedFor('name', message));
    const kept = await user.request<{ name: string }>('GET', `/api/v1/settings/api-keys/${api_key.id}`);
    expect(kept.body.name).toBe('Équipe 👨‍👩‍👧');
    const signup = await call(base, 'POST', '/api/v1/auth/signup', {
      body: { email: `bidi-${randomUUID().slice(0, 8)}@example.com`, password: PASSWORD, name: 'Ada\u202E' },
    });
    expect(outcome(signup)).toEqual(refusedFor('name', message));
  });

  it('answers a body that does not decompress as its Content-Encoding says 400 INVALID_JSON, and takes one that does', async () => {
    for (const encoding of ['deflate', 'gzip', 'br']) {
      const garbled = await call(base, 'POST', '/api/v1/memories', {
        key,
        rawBody: '{"text":"x"}',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
      });
      expect([encoding, garbled.status, garbled.body.code, garbled.body.detail]).toEqual([
        encoding,
        400,
        'INVALID_JSON',
        `the request body is not ${encoding} data, as its Content-Encoding says`,
      ]);
    }
    const response = await fetch(`${base}/api/v1/memories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync('{"text":"sent compressed"}'),
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { text: string }).text).toBe('sent compressed');
  });

  it('refuses a JSON or NDJSON body that is not UTF-8 (400 INVALID_JSON) and stores nothing, rather than changing its bytes', async () => {
    const latin1 = Buffer.from('{"text":"caf\xe9 latin-1"}', 'latin1');
    const before = await call<{ total_count: number }>(base, 'GET', '/api/v1/memories', { key });
    const refused = await fetch(`${base}/api/v1/memories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: latin1,
    });
    expect([refused.status, ((await refused.json()) as { code: string }).code]).toEqual([400, 'INVALID_JSON']);
    const after = await call<{ total_count: number }>(base, 'GET', '/api/v1/memories', { key });
    expect(after.body.total_count).toBe(before.body.total_count);
    const ndjson = await fetch(`${base}/admin/v1/legacy-keys/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/x-ndjson' },
      body: Buffer.from('{"email":"caf\xe9@example.com","key_sha256":"00","name":"x"}\n', 'latin1'),
    });
    expect([ndjson.status, ((await ndjson.json()) as { code: string }).code]).toEqual([400, 'INVALID_JSON']);
    // JSON is exchanged as UTF-8 (RFC 8259): another declared charset is refused, not read around its checks.
    const utf16 = await fetch(`${base}/api/v1/memories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json; charset=utf-16le' },
      body: Buffer.from('{"text":"x"}', 'utf16le'),
    });
    expect([utf16.status, ((await utf16.json()) as { code: string }).code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const utf8 = await call<{ text: string }>(base, 'POST', '/api/v1/memories', { key, body: { text: 'café ☕' } });
    expect([utf8.status, utf8.body.text]).toEqual([201, 'café ☕']);
    // UTF-8 as clients spell it, and ASCII (a subset of it), are read as UTF-8.
    for (const charset of ['utf8', 'UTF8', 'us-ascii']) {
      const aliased = await fetch(`${base}/api/v1/memories`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': `application/json; charset=${charset}` },
        body: JSON.stringify({ text: charset === 'us-ascii' ? 'plain' : 'café' }),
      });
      expect([charset, aliased.status]).toEqual([charset, 201]);
    }
  });

  /** Restore, revoke, delete and logout take no body: a field sent to them is refused, not ignored (§1 strict DTOs). */
  describe('a body sent to an action that takes none', () => {
    const json = { 'content-type': 'application/json' };
    const refusedBody = {
      status: 400,
      code: 'VALIDATION_FAILED',
      validation_errors: [{ field: '(body)', message: 'must be a JSON object' }],
    };

    it('refuses any field or a body that is no object on restore, and restores nothing; {} restores', async () => {
      const memory = await call<{ id: string }>(base, 'POST', '/api/v1/memories', { key, body: { text: 'one' } });
      const path = `/api/v1/memories/${memory.body.id}`;
      expect((await call(base, 'PUT', path, { key, body: { text: 'two' } })).status).toBe(200);
      const withField = await call(base, 'POST', `${path}/versions/1/restore`, { key, body: { bogus_field: 1 } });
      expect(outcome(withField)).toEqual(refusedFor('bogus_field', 'property bogus_field should not exist'));
      for (const rawBody of ['null', '[]', '"x"', 'true'])
        expect([
          rawBody,
          outcome(await call(base, 'POST', `${path}/versions/1/restore`, { key, rawBody, headers: json })),
        ]).toEqual([rawBody, refusedBody]);
      expect((await call<{ version: number; text: string }>(base, 'GET', path, { key })).body).toMatchObject({
        version: 2,
        text: 'two',
      });
      const restored = await call<{ version: number; text: string }>(base, 'POST', `${path}/versions/1/restore`, {
        key,
        body: {},
      });
      expect([restored.status, restored.body.version, restored.body.text]).toEqual([200, 3, 'one']);

      await call(base, 'POST', '/api/v1/prompts', { key, body: { name: 'Kept', slug: 'kept-prompt', body: 'b' } });
      const prompt = await call(base, 'POST', '/api/v1/prompts/kept-prompt/versions/1/restore', {
        key,
        body: { x: 1 },
      });
      expect(outcome(prompt)).toEqual(refusedFor('x', 'property x should not exist'));
      await call(base, 'POST', '/api/v1/artifacts', {
        key,
        body: { project: 'p', slug: 'kept', title: 'T', content: 'c' },
      });
      const artifact = await call(base, 'POST', '/api/v1/artifacts/p/kept/versions/1/restore', { key, body: { x: 1 } });
      expect(outcome(artifact)).toEqual(refusedFor('x', 'property x should not exist'));
    });

    it('refuses a field on a delete, a revoke and a logout, and each leaves its resource in place', async () => {
      const memory = await call<{ id: string }>(base, 'POST', '/api/v1/memories', { key, body: { text: 'stays' } });
      const removed = await call(base, 'DELETE', `/api/v1/memories/${memory.body.id}`, { key, body: { force: true } });
      expect(outcome(removed)).toEqual(refusedFor('force', 'property force should not exist'));
      expect((await call(base, 'GET', `/api/v1/memories/${memory.body.id}`, { key })).status).toBe(200);

      const other = await user.createKey({ name: 'not revoked' });
      const revoked = await user.request('DELETE', `/api/v1/settings/api-keys/${other.api_key.id}`, {
        body: { reason: 'x' },
      });
      expect(outcome(revoked)).toEqual(refusedFor('reason', 'property reason should not exist'));
      expect((await call(base, 'GET', '/api/v1/auth/me', { key: other.full_key })).status).toBe(200);

      const loggedOut = await user.request('POST', '/api/v1/auth/logout', { body: { everywhere: true } });
      expect(outcome(loggedOut)).toEqual(refusedFor('everywhere', 'property everywhere should not exist'));
      expect((await user.request('GET', '/api/v1/auth/me')).status).toBe(200);
      // Without a body, or with {}, each works as before.
      expect((await user.request('DELETE', `/api/v1/settings/api-keys/${other.api_key.id}`, { body: {} })).status).toBe(
        204,
      );
      expect((await call(base, 'DELETE', `/api/v1/memories/${memory.body.id}`, { key })).status).toBe(204);
    });

    it('answers a leak report 202 whatever JSON it holds, null too (it was a 500)', async () => {
      for (const rawBody of ['null', ' null ', '[]', '"x"', '1', 'true', '{}'])
        expect([
          rawBody,
          (await call(base, 'POST', '/api/v1/keys/report-leak', { rawBody, headers: json })).status,
        ]).toEqual([rawBody, 202]);
    });
  });
});
