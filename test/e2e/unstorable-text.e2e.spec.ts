import { randomUUID } from 'node:crypto';
import { DashboardUser, PASSWORD, call } from '../support/api-client';
import { TestPlatform } from '../support/platform';

const ADMIN_TOKEN = `test-admin-token-${randomUUID()}`;
const NUL = '\u0000';

/**
 * PostgreSQL's text cannot hold a NUL character or a lone surrogate: before the gateway refused them, each of these
 * requests reached a service and failed there as 500 INTERNAL_ERROR. Now 400 VALIDATION_FAILED
 * naming the field, and nothing stored.
 */
describe('a NUL character or a lone surrogate anywhere in the input (PRODUCT.md §1)', () => {
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

  const refusedFor = (field: string) => ({
    status: 400,
    code: 'VALIDATION_FAILED',
    validation_errors: [{ field, message: 'must not contain a NUL character (\\u0000)' }],
  });
  const outcome = (response: { status: number; body: Record<string, unknown> }) => ({
    status: response.status,
    code: response.body.code,
    validation_errors: response.body.validation_errors,
  });

  it('refuses it in a signup body and creates no account', async () => {
    const email = `nul-${randomUUID().slice(0, 8)}@example.com`;
    const signup = await call(base, 'POST', '/api/v1/auth/signup', {
      body: { email, password: PASSWORD, name: `a${NUL}b` },
    });
    expect(outcome(signup)).toEqual(refusedFor('name'));
    expect((await call(base, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } })).status).toBe(401);
    const login = await call(base, 'POST', '/api/v1/auth/login', { body: { email: `${NUL}`, password: PASSWORD } });
    expect(outcome(login)).toEqual(refusedFor('email'));
  });

  it('refuses it in a key name, on create and on rename, and keeps the old name', async () => {
    const created = await user.request('POST', '/api/v1/settings/api-keys', {
      body: { name: `k${NUL}`, integrations: ['cli'] },
    });
    expect(outcome(created)).toEqual(refusedFor('name'));
    const { api_key } = await user.createKey({ name: 'kept' });
    const renamed = await user.request('PATCH', `/api/v1/settings/api-keys/${api_key.id}`, {
      body: { name: `x${NUL}y` },
    });
    expect(outcome(renamed)).toEqual(refusedFor('name'));
    const listed = await user.request<{ api_keys: { id: string; name: string }[] }>('GET', '/api/v1/settings/api-keys');
    expect(listed.body.api_keys.find((k) => k.id === api_key.id)?.name).toBe('kept');
  });

  it('refuses it in content, nested in arrays, and in a body key', async () => {
    expect(
      outcome(await call(base, 'POST', '/api/v1/memories', { key, body: { text: 'ok', labels: ['a', `b${NUL}`] } })),
    ).toEqual(refusedFor('labels[1]'));
    expect(
      outcome(await call(base, 'POST', '/api/v1/memories', { key, body: { text: 'ok', [`x${NUL}`]: 1 } })),
    ).toEqual(refusedFor('x\\u0000'));
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
    expect(outcome(await call(base, 'GET', '/api/v1/audit-log?action=a%00b', { key }))).toEqual(refusedFor('action'));
    const byId = await call(base, 'GET', '/api/v1/prompts/a%00b', { key });
    expect([byId.status, byId.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    const admin = await call(base, 'GET', '/admin/v1/accounts?email=%00', { key: ADMIN_TOKEN });
    expect(outcome(admin)).toEqual(refusedFor('email'));
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
