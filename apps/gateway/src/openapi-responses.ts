import {
  ALERT_RULES,
  ALERT_STATUSES,
  INTEGRATIONS,
  KEY_STATUSES,
  RESOLUTIONS,
  REVOKE_REASONS,
  TIERS,
} from '#contracts';

/**
 * The bodies of the API's successful answers (PRODUCT.md §2–§11), for the OpenAPI document: the decorators
 * describe requests, these describe answers. Every field an answer carries is listed and required (null where
 * it may be null), so that a client generated from the document reads every answer; the e2e test of the
 * document checks real answers against them, field for field.
 */
type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const string: Schema = { type: 'string' };
const integer: Schema = { type: 'integer' };
const timestamp: Schema = { type: 'string', format: 'date-time' };
const uuid: Schema = { type: 'string', format: 'uuid' };
/** May be null (OpenAPI 3.0); an enum must then list null too (OpenAPI 3.0.3 §4.7.25). */
const nullable = (schema: Schema): Schema => ({
  ...schema,
  nullable: true,
  ...(Array.isArray(schema.enum) ? { enum: [...(schema.enum as unknown[]), null] } : {}),
});
const list = (items: Schema): Schema => ({ type: 'array', items });
const oneOf = (values: readonly string[]): Schema => ({ type: 'string', enum: [...values] });
const counts: Schema = { type: 'object', additionalProperties: integer };
const anyObject: Schema = { type: 'object', additionalProperties: true };

/** An object whose listed fields are all present; `optional` ones may be absent. */
function object(properties: Record<string, Schema>, optional: string[] = []): Schema {
  return {
    type: 'object',
    required: Object.keys(properties).filter((name) => !optional.includes(name)),
    properties,
  };
}

/** A page of a list (PRODUCT.md §1): `{ <plural>: [...], total_count, page, per_page, total_pages }`. */
const page = (plural: string, item: Schema): Schema =>
  object({ [plural]: list(item), total_count: integer, page: integer, per_page: integer, total_pages: integer });

const location = nullable(object({ country: string, city: nullable(string) }));

const account = {
  id: uuid,
  email: string,
  name: string,
  tier: oneOf(TIERS),
  status: oneOf(['active', 'suspended']),
  created_at: timestamp,
};

/** A version entry: the resource's fields at that version, with who made it. */
const version = (fields: Record<string, Schema>): Schema =>
  object({
    version: integer,
    ...fields,
    created_at: timestamp,
    actor: object({ type: oneOf(['api_key', 'oauth_app', 'session']), key_id: uuid, client_id: string }, [
      'key_id',
      'client_id',
    ]),
  });

const promptFields = {
  slug: string,
  name: string,
  description: string,
  body: string,
  status: oneOf(['draft', 'published']),
  labels: list(string),
  mcp_expose: { type: 'boolean' },
};
const artifactFields = {
  project: string,
  slug: string,
  title: string,
  description: string,
  content: string,
  type: oneOf(['work_reports', 'static_contexts', 'general']),
  status: oneOf(['active', 'draft', 'archived']),
  labels: list(string),
  metadata: anyObject,
};
const memoryFields = {
  text: string,
  title: nullable(string),
  project: nullable(string),
  status: oneOf(['active', 'draft', 'archived']),
  labels: list(string),
  metadata: anyObject,
};
const resource = (fields: Record<string, Schema>): Schema =>
  object({ id: uuid, ...fields, version: integer, created_at: timestamp, updated_at: timestamp });

export const RESPONSE_SCHEMAS: Record<string, Schema> = {
  Account: object(account),
  AdminAccount: object({ ...account, rate_limit_per_hour: nullable(integer) }),
  AdminAccountList: page('accounts', ref('AdminAccount')),
  Session: object({ user: ref('Account'), csrf_token: string }),
  Me: object(
    {
      ...account,
      api_key: object({ id: uuid, name: string, key_prefix: string, integrations: list(oneOf(INTEGRATIONS)) }),
    },
    ['api_key'],
  ),
  ApiKey: object({
    id: uuid,
    name: string,
    key_prefix: string,
    integrations: list(oneOf(INTEGRATIONS)),
    is_legacy: { type: 'boolean' },
    migration_notes: nullable(string),
    status: oneOf(KEY_STATUSES),
    created_at: timestamp,
    updated_at: timestamp,
    last_used_at: nullable(timestamp),
    request_count: integer,
    last_used_ip: nullable(string),
    last_used_location: location,
    last_tool_type: nullable(string),
    expires_at: nullable(timestamp),
    revoked_at: nullable(timestamp),
    revoked_reason: nullable(oneOf(REVOKE_REASONS)),
    rotation_due: { type: 'boolean' },
    replaced_by: nullable(uuid),
    revokes_at: nullable(timestamp),
  }),
  ApiKeyList: page('api_keys', ref('ApiKey')),
  CreatedApiKey: object(
    {
      api_key: ref('ApiKey'),
      full_key: { type: 'string', description: 'shown once: only its SHA-256 is stored' },
      key_prefix: string,
      replaces: { ...uuid, description: 'a rotation: the key this one replaces' },
    },
    ['replaces'],
  ),
  KeyUsage: object({
    key_id: uuid,
    range: oneOf(['24h', '7d', '30d', '90d']),
    request_count: integer,
    failed_auth_count: integer,
    last_used_at: nullable(timestamp),
    by_tool_type: counts,
    by_action: counts,
    by_status: counts,
    series: list(object({ start: timestamp, count: integer })),
    locations: list(
      object({ country: string, city: nullable(string), count: integer, first_seen: timestamp, last_seen: timestamp }),
    ),
    ips: list(object({ ip: string, count: integer, first_seen: timestamp, last_seen: timestamp })),
  }),
  LeakReport: object({ status: oneOf(['accepted']) }),
  LegacyImportReport: object({
    created: integer,
    existing: integer,
    failed: integer,
    results: list(
      object({ line: integer, status: oneOf(['created', 'exists', 'error']), key_id: uuid, error: string }, [
        'key_id',
        'error',
      ]),
    ),
  }),
  Prompt: resource(promptFields),
  PromptList: page('prompts', ref('Prompt')),
  PromptVersions: page('versions', version(promptFields)),
  Placeholders: object({ placeholders: list(string) }),
  RenderResult: object({
    rendered_body: string,
    placeholders_missing: list(string),
    references_used: list(string),
    warnings: list(string),
  }),
  Artifact: resource(artifactFields),
  ArtifactList: page('artifacts', ref('Artifact')),
  ArtifactVersions: page('versions', version(artifactFields)),
  /** `GET /api/v1/artifacts/{path}`: an artifact, or its versions when the path ends in `/versions`. */
  ArtifactOrVersions: { oneOf: [ref('Artifact'), ref('ArtifactVersions')] },
  Memory: resource(memoryFields),
  MemoryList: page('memories', ref('Memory')),
  MemoryVersions: page('versions', version(memoryFields)),
  SearchResults: object({
    results: list(
      object(
        {
          type: oneOf(['prompts', 'artifacts', 'memories']),
          id: uuid,
          title: string,
          slug: string,
          project: nullable(string),
          excerpt: string,
          score: { type: 'number' },
          updated_at: timestamp,
        },
        ['slug', 'project'],
      ),
    ),
  }),
  HookAnswer: object(
    {
      status: oneOf(['success']),
      data: object({ id: uuid, created_at: timestamp }),
      hookSpecificOutput: object({ hookEventName: string, additionalContext: string }),
    },
    ['hookSpecificOutput'],
  ),
  AiToolSessionList: page(
    'sessions',
    object({
      session_id: string,
      tool: oneOf(['claude_code', 'cursor']),
      first_seen: timestamp,
      last_seen: timestamp,
      hook_count: integer,
      tools_used: list(string),
      cwd: nullable(string),
      last_hook_event: string,
    }),
  ),
  AuditEvent: object(
    {
      id: uuid,
      type: string,
      stream: string,
      version: integer,
      occurred_at: timestamp,
      data: anyObject,
      meta: anyObject,
      outcome: oneOf(['success', 'failure']),
      action: nullable(string),
      ip: nullable(string),
      location,
      tool_type: nullable(string),
      key_id: nullable(uuid),
      key_prefix: nullable(string),
    },
    ['action', 'ip', 'location', 'tool_type', 'key_id', 'key_prefix'],
  ),
  AuditLogPage: object({ events: list(ref('AuditEvent')), next_cursor: nullable(string) }),
  Alert: object(
    {
      id: uuid,
      rule: oneOf(ALERT_RULES),
      severity: oneOf(['low', 'medium', 'high']),
      status: oneOf(ALERT_STATUSES),
      key_id: uuid,
      key_prefix: string,
      summary: string,
      evidence: {
        ...object(
          {
            observed: {},
            baseline: {},
            window: string,
            ips: list(string),
            locations: list(anyObject),
            samples: list(string),
          },
          ['baseline', 'ips', 'locations', 'samples'],
        ),
        // Each rule adds its own facts (a threshold, the hour of the week, the app's grant…).
        additionalProperties: true,
      },
      count: integer,
      first_seen: timestamp,
      last_seen: timestamp,
      resolution: oneOf(RESOLUTIONS),
      resolution_note: nullable(string),
      resolved_at: timestamp,
    },
    ['key_id', 'key_prefix', 'resolution', 'resolution_note', 'resolved_at'],
  ),
  AlertList: page('alerts', ref('Alert')),
  SecuritySettings: object({
    timezone: string,
    working_hours: nullable(object({ days: list(integer), start: string, end: string })),
    webhook_url: nullable(string),
    auto_revoke_on: list(oneOf(ALERT_RULES)),
    webhook_secret: {
      ...nullable(string),
      description: 'the signing secret of webhook deliveries, null without a webhook_url',
    },
  }),
};

/** The answer of each operation, by operation id (`Controller_handler`): its status and schema. */
export const OPERATION_ANSWERS: Record<string, { status: string; schema: string }> = {
  AuthController_signup: { status: '201', schema: 'Session' },
  AuthController_login: { status: '200', schema: 'Session' },
  AuthController_me: { status: '200', schema: 'Me' },
  ApiKeysController_create: { status: '201', schema: 'CreatedApiKey' },
  ApiKeysController_rotate: { status: '201', schema: 'CreatedApiKey' },
  ApiKeysController_list: { status: '200', schema: 'ApiKeyList' },
  ApiKeysController_get: { status: '200', schema: 'ApiKey' },
  ApiKeysController_update: { status: '200', schema: 'ApiKey' },
  ApiKeysController_usage: { status: '200', schema: 'KeyUsage' },
  LeakReportController_report: { status: '202', schema: 'LeakReport' },
  AdminController_list: { status: '200', schema: 'AdminAccountList' },
  AdminController_update: { status: '200', schema: 'AdminAccount' },
  AdminController_importLegacyKeys: { status: '200', schema: 'LegacyImportReport' },
  PromptsController_list: { status: '200', schema: 'PromptList' },
  PromptsController_create: { status: '201', schema: 'Prompt' },
  PromptsController_get: { status: '200', schema: 'Prompt' },
  PromptsController_update: { status: '200', schema: 'Prompt' },
  PromptsController_restore: { status: '200', schema: 'Prompt' },
  PromptsController_versions: { status: '200', schema: 'PromptVersions' },
  PromptsController_placeholders: { status: '200', schema: 'Placeholders' },
  PromptsController_render: { status: '200', schema: 'RenderResult' },
  ArtifactsController_list: { status: '200', schema: 'ArtifactList' },
  ArtifactsController_create: { status: '201', schema: 'Artifact' },
  ArtifactsController_get: { status: '200', schema: 'ArtifactOrVersions' },
  ArtifactsController_update: { status: '200', schema: 'Artifact' },
  ArtifactsController_restore: { status: '200', schema: 'Artifact' },
  MemoriesController_list: { status: '200', schema: 'MemoryList' },
  MemoriesController_create: { status: '201', schema: 'Memory' },
  MemoriesController_get: { status: '200', schema: 'Memory' },
  MemoriesController_update: { status: '200', schema: 'Memory' },
  MemoriesController_restore: { status: '200', schema: 'Memory' },
  MemoriesController_versions: { status: '200', schema: 'MemoryVersions' },
  SearchController_search: { status: '200', schema: 'SearchResults' },
  HooksController_claudeCode: { status: '201', schema: 'HookAnswer' },
  HooksController_cursor: { status: '201', schema: 'HookAnswer' },
  HooksController_claudeCodeSessions: { status: '200', schema: 'AiToolSessionList' },
  HooksController_cursorSessions: { status: '200', schema: 'AiToolSessionList' },
  AuditLogController_list: { status: '200', schema: 'AuditLogPage' },
  SecurityAlertsController_list: { status: '200', schema: 'AlertList' },
  SecurityAlertsController_get: { status: '200', schema: 'Alert' },
  SecurityAlertsController_acknowledge: { status: '200', schema: 'Alert' },
  SecurityAlertsController_resolve: { status: '200', schema: 'Alert' },
  AdminAlertsController_list: { status: '200', schema: 'AlertList' },
  SecuritySettingsController_get: { status: '200', schema: 'SecuritySettings' },
  SecuritySettingsController_put: { status: '200', schema: 'SecuritySettings' },
  SecuritySettingsController_rotateWebhookSecret: { status: '200', schema: 'SecuritySettings' },
};
