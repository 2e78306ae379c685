import { randomUUID } from 'node:crypto';
import { DashboardUser, call } from '../support/api-client';
import { TestPlatform } from '../support/platform';

const ADMIN_TOKEN = `test-admin-token-${randomUUID()}`;

/**
 * `null` for a field the contract does not make nullable is a 400 naming the field. Before, an update
 * with `{"name": null}` passed validation (as if absent) and failed in the service as 500.
 */
describe('null where a field cannot be null (PRODUCT.md §1)', () => {
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

  const refused = (field: string, message = 'must not be null: leave the field out instead') => ({
    status: 400,
    code: 'VALIDATION_FAILED',
    validation_errors: [{ field, message }],
  });
  const outcome = (response: { status: number; body: Record<string, unknown> }) => ({
    status: response.status,
    code: response.body.code,
    validation_errors: response.body.validation_errors,
  });

  it('refuses null for a key name or integrations and leaves the key as it was', async () => {
    const { api_key } = await user.createKey({ name: 'as it was', integrations: ['cli'] });
    for (const field of ['name', 'integrations']) {
      const patched = await user.request('PATCH', `/api/v1/settings/api-keys/${api_key.id}`, {
        body: { [field]: null },
      });
      expect(outcome(patched)).toEqual(refused(field));
    }
    const rotated = await user.request('POST', `/api/v1/settings/api-keys/${api_key.id}/rotate`, {
      body: { grace_period_seconds: null },
    });
    expect(outcome(rotated)).toEqual(refused('grace_period_seconds'));
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
      expect(outcome(updated)).toEqual(refused(field));
    }
    const memory = await call<{ id: string }>(base, 'POST', '/api/v1/memories', {
      key,
      body: { text: 'remember', title: 'a title' },
    });
    const cleared = await call(base, 'PUT', `/api/v1/memories/${memory.body.id}`, { key, body: { title: null } });
    expect([cleared.status, cleared.body.title, cleared.body.text]).toEqual([200, null, 'remember']);
    const text = await call(base, 'PUT', `/api/v1/memories/${memory.body.id}`, { key, body: { text: null } });
    expect(outcome(text)).toEqual(refused('text'));
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
    expect(outcome(settings)).toEqual(refused('working_hours.start', 'must not be null'));
    const admin = await call(base, 'PATCH', `/admin/v1/accounts/${user.account.id}`, {
      key: ADMIN_TOKEN,
      body: { tier: null },
    });
    expect(outcome(admin)).toEqual(refused('tier'));
  });
});
