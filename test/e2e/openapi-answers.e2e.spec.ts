import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { DashboardUser, type ApiResponse, call } from '../support/api-client';
import { TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';
import { OPERATION_ANSWERS } from '../../apps/gateway/src/openapi-responses';

type Schema = Record<string, unknown>;
type Operation = { operationId?: string; responses: Record<string, { content?: Record<string, { schema: Schema }> }> };
const ADMIN_TOKEN = 'admin-token-for-openapi-answers';

/**
 * The schemas as a strict reader: an object may hold only the fields its schema lists, so a field the API
 * answers but the document does not name fails too (the document would be missing it).
 */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy = Object.fromEntries(Object.entries(schema).map(([name, value]) => [name, closed(value)]));
  if (copy.properties && copy.additionalProperties === undefined) copy.additionalProperties = false;
  return copy;
}

describe('the OpenAPI document describes every answer the API gives (PRODUCT.md §1–§11)', () => {
  let platform: TestPlatform;
  let base: string;
  let operations: Map<string, Operation>;
  let ajv: Ajv;
  const exercised = new Set<string>();

  beforeAll(async () => {
    platform = await TestPlatform.start({ gatewayEnv: { ADMIN_TOKEN } });
    base = platform.url('gateway');
    const document = (await (await fetch(`${base}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, Schema> };
    };
    operations = new Map();
    for (const item of Object.values(document.paths))
      for (const operation of Object.values(item))
        operations.set((operation.operationId ?? '').replace(/\[\d+\]$/, ''), operation);
    ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ components: closed(document.components) }, 'openapi');
  }, 90_000);
  afterAll(() => platform?.stop());

  /** Checks an answer against what the document says the operation answers: its status and its body's schema. */
  function conforms(operationId: string, answer: ApiResponse): void {
    const operation = operations.get(operationId);
    if (!operation) throw new Error(`no operation ${operationId} in the document`);
    const [status, response] = Object.entries(operation.responses).find(([code]) => /^2/.test(code))!;
    expect([operationId, answer.status]).toEqual([operationId, Number(status)]);
    const schema = response.content?.['application/json']?.schema;
    if (!schema) throw new Error(`${operationId}: the document gives no schema for ${status}`);
    const validate = ajv.getSchema(`openapi${String(schema.$ref)}`) as ValidateFunction;
    const valid = validate(answer.body);
    expect([operationId, valid ? [] : validate.errors]).toEqual([operationId, []]);
    exercised.add(operationId);
  }

  it('answers as documented, operation by operation', async () => {
    const signup = await call(base, 'POST', '/api/v1/auth/signup', {
      body: { email: `openapi-${Date.now()}@example.com`, password: 'correct horse battery staple', name: 'Oa' },
    });
    conforms('AuthController_signup', signup);
    const user = await DashboardUser.login(base, (signup.body.user as { email: string }).email);
    conforms(
      'AuthController_login',
      await call(base, 'POST', '/api/v1/auth/login', {
        body: { email: user.email, password: 'correct horse battery staple' },
      }),
    );
    conforms('AuthController_me', await user.request('GET', '/api/v1/auth/me'));

    const created = await user.request('POST', '/api/v1/settings/api-keys', {
      body: { name: 'documented', integrations: ['cli', 'ai_tools'] },
    });
    conforms('ApiKeysController_create', created);
    const keyId = (created.body.api_key as { id: string }).id;
    const rotated = await user.request('POST', `/api/v1/settings/api-keys/${keyId}/rotate`, {
      body: { grace_period_seconds: 60 },
    });
    conforms('ApiKeysController_rotate', rotated);
    const key = rotated.body.full_key as string;
    const newKeyId = (rotated.body.api_key as { id: string }).id;
    conforms('AuthController_me', await call(base, 'GET', '/api/v1/auth/me', { key }));
    conforms('ApiKeysController_list', await user.request('GET', '/api/v1/settings/api-keys?status=all'));
    conforms('ApiKeysController_get', await user.request('GET', `/api/v1/settings/api-keys/${keyId}`));
    conforms(
      'ApiKeysController_update',
      await user.request('PATCH', `/api/v1/settings/api-keys/${newKeyId}`, { body: { name: 'renamed' } }),
    );

    const api = (method: string, path: string, body?: unknown) => call(base, method, `/api/v1${path}`, { key, body });
    const prompt = await api('POST', '/prompts', { name: 'Doc', body: 'hello {{who}} @@' });
    conforms('PromptsController_create', prompt);
    conforms('PromptsController_list', await api('GET', '/prompts'));
    conforms('PromptsController_get', await api('GET', '/prompts/doc'));
    conforms('PromptsController_update', await api('PUT', '/prompts/doc', { labels: ['a'] }));
    conforms('PromptsController_placeholders', await api('GET', '/prompts/doc/placeholders'));
    conforms('PromptsController_render', await api('POST', '/prompts/doc/render', { placeholders: { who: 'you' } }));
    conforms('PromptsController_versions', await api('GET', '/prompts/doc/versions'));
    conforms('PromptsController_restore', await api('POST', '/prompts/doc/versions/1/restore'));

    const artifact = await api('POST', '/artifacts', {
      project: 'docs/api',
      title: 'Doc',
      content: 'hello',
      metadata: { a: 1 },
    });
    conforms('ArtifactsController_create', artifact);
    conforms('ArtifactsController_list', await api('GET', '/artifacts'));
    conforms('ArtifactsController_get', await api('GET', '/artifacts/docs/api/doc'));
    conforms('ArtifactsController_get', await api('GET', '/artifacts/docs/api/doc/versions'));
    conforms('ArtifactsController_update', await api('PUT', '/artifacts/docs/api/doc', { content: 'changed' }));
    conforms('ArtifactsController_restore', await api('POST', '/artifacts/docs/api/doc/versions/1/restore'));

    const memory = await api('POST', '/memories', { text: 'hello memory', project: 'docs/api' });
    conforms('MemoriesController_create', memory);
    const memoryPath = `/memories/${memory.body.id as string}`;
    conforms('MemoriesController_list', await api('GET', '/memories'));
    conforms('MemoriesController_get', await api('GET', memoryPath));
    conforms('MemoriesController_update', await api('PUT', memoryPath, { title: 'Titled' }));
    conforms('MemoriesController_versions', await api('GET', `${memoryPath}/versions`));
    conforms('MemoriesController_restore', await api('POST', `${memoryPath}/versions/1/restore`));
    conforms('SearchController_search', await api('GET', '/search?q=hello'));

    conforms(
      'HooksController_claudeCode',
      await api('POST', '/claude-code/hooks', { session_id: 's1', hook_event_name: 'SessionStart', cwd: '/docs/api' }),
    );
    conforms(
      'HooksController_cursor',
      await api('POST', '/cursor-ide/hooks', { conversation_id: 'c1', hook_event_name: 'beforeSubmitPrompt' }),
    );
    conforms('HooksController_claudeCodeSessions', await api('GET', '/ai-tools/claude-code/sessions'));
    conforms('HooksController_cursorSessions', await api('GET', '/ai-tools/cursor-ide/sessions'));

    // A revoked key tried: an alert to read, acknowledge and resolve.
    await user.request('DELETE', `/api/v1/settings/api-keys/${keyId}`);
    await call(base, 'GET', '/api/v1/prompts', { key: created.body.full_key as string });
    const alerts = await waitFor(
      () => user.request('GET', '/api/v1/security/alerts'),
      (found) => (found.body.alerts as unknown[]).length > 0,
    );
    conforms('SecurityAlertsController_list', alerts);
    const alertPath = `/api/v1/security/alerts/${(alerts.body.alerts as { id: string }[])[0].id}`;
    conforms('SecurityAlertsController_get', await user.request('GET', alertPath));
    conforms('SecurityAlertsController_acknowledge', await user.request('POST', `${alertPath}/acknowledge`));
    conforms(
      'SecurityAlertsController_resolve',
      await user.request('POST', `${alertPath}/resolve`, { body: { resolution: 'revoked_key', note: 'old' } }),
    );
    conforms('SecurityAlertsController_get', await user.request('GET', alertPath));
    conforms('AuditLogController_list', await user.request('GET', '/api/v1/audit-log?limit=100'));
    conforms(
      'ApiKeysController_usage',
      await waitFor(
        () => user.request('GET', `/api/v1/settings/api-keys/${newKeyId}/usage?range=7d`),
        (usage) => (usage.body.request_count as number) > 0,
      ),
    );

    conforms('SecuritySettingsController_get', await user.request('GET', '/api/v1/settings/security'));
    conforms(
      'SecuritySettingsController_put',
      await user.request('PUT', '/api/v1/settings/security', {
        body: {
          timezone: 'Europe/Paris',
          working_hours: { days: [1, 2, 3], start: '09:00', end: '18:00' },
          webhook_url: 'https://hooks.example.com/vibexp',
          auto_revoke_on: ['revoked_key_use'],
        },
      }),
    );
    conforms(
      'SecuritySettingsController_rotateWebhookSecret',
      await user.request('POST', '/api/v1/settings/security/webhook-secret/rotate'),
    );
    conforms(
      'LeakReportController_report',
      await call(base, 'POST', '/api/v1/keys/report-leak', { body: { token: `vxk_${'0'.repeat(64)}` } }),
    );

    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    conforms(
      'AdminController_list',
      await call(base, 'GET', `/admin/v1/accounts?email=${encodeURIComponent(user.email)}`, { headers: admin }),
    );
    conforms(
      'AdminController_update',
      await call(base, 'PATCH', `/admin/v1/accounts/${user.account.id}`, { headers: admin, body: { tier: 'pro' } }),
    );
    conforms(
      'AdminController_importLegacyKeys',
      await call(base, 'POST', '/admin/v1/legacy-keys/import', {
        headers: { ...admin, 'content-type': 'application/x-ndjson' },
        rawBody: `${JSON.stringify({ email: user.email, key: 'aait-0123456789abcdef', name: 'old' })}\n{bad\n`,
      }),
    );
    conforms('AdminAlertsController_list', await call(base, 'GET', '/admin/v1/security/alerts', { headers: admin }));
  }, 60_000);

  it('has exercised every operation it documents an answer for', () => {
    expect(Object.keys(OPERATION_ANSWERS).filter((operationId) => !exercised.has(operationId))).toEqual([]);
  });
});
