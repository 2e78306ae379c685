import {
  type ContentActor,
  type ContentKind,
  type ContentLocator,
  ContentRpc,
  CreateArtifactDto,
  CreateMemoryDto,
  CreatePromptDto,
  type OAuthScope,
  RenderPromptDto,
  SearchQuery,
  UpdateArtifactDto,
  UpdateMemoryDto,
  UpdatePromptDto,
  isUuid,
} from '#contracts';
import type { RpcClient } from '../rpc/rpc-client';
import type { ContentReads } from '../content/content-reads';

/** What a tool needs to act: the RPC client, who acts, and the strict validation the REST API uses. */
export interface ToolContext {
  rpc: RpcClient;
  /** Reads by id from the gateway's cache, and writes that evict it, as the REST API does. */
  reads: ContentReads;
  actor: ContentActor;
  /** Validates `input` with a REST DTO (unknown fields refused), or throws the REST API's 400. */
  validate<T>(dto: new () => T, input: unknown): Promise<T>;
}

export interface McpTool {
  name: string;
  title: string;
  description: string;
  /** The REST API's action for the same work (PRODUCT.md §7): a call is recorded under it in the audit log. */
  action: string;
  /** The grant's scope this tool needs: tools outside the token's scopes are neither listed nor callable. */
  scope: OAuthScope;
  inputSchema: {
    type: 'object';
    properties: Record<string, unknown>;
    required?: string[];
    additionalProperties: false;
  };
  annotations: { readOnlyHint: boolean; destructiveHint: false; idempotentHint: boolean; openWorldHint: false };
  run(args: Record<string, unknown>, context: ToolContext): Promise<unknown>;
}

/** A tool argument addressing one item, checked before anything is sent. */
class ToolArgumentError extends Error {
  override readonly name = 'ToolArgumentError';
}
export { ToolArgumentError };

const text = (description: string, extra: Record<string, unknown> = {}) => ({ type: 'string', description, ...extra });
const labels = { type: 'array', items: { type: 'string', maxLength: 50 }, maxItems: 10, description: 'Labels' };
const metadata = { type: 'object', description: 'Free-form JSON object (at most 16 KiB)' };
const expectedVersion = {
  type: 'integer',
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'Refuse the change (VERSION_CONFLICT) unless the item is still at this version',
};
const entryStatus = { type: 'string', enum: ['active', 'draft', 'archived'] };
const project = text('Project path: segments of letters, digits, ".", "_" and "-" joined by "/", e.g. my-app/backend', {
  maxLength: 80,
});

const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
const writes = (idempotent: boolean) =>
  ({ readOnlyHint: false, destructiveHint: false, idempotentHint: idempotent, openWorldHint: false }) as const;

function required(args: Record<string, unknown>, name: string): string {
  const value = args[name];
  if (typeof value !== 'string' || value.length === 0 || value.length > 255)
    throw new ToolArgumentError(`${name} is required: a string of 1 to 255 characters`);
  return value;
}

/** The arguments without the ones that address the item: what is left is the REST body. */
function bodyOf(args: Record<string, unknown>, ...addressing: string[]): Record<string, unknown> {
  const body = { ...args };
  for (const name of addressing) delete body[name];
  return body;
}

const promptLocator = (idOrSlug: string): ContentLocator => (isUuid(idOrSlug) ? { id: idOrSlug } : { slug: idOrSlug });
const memoryLocator = (args: Record<string, unknown>): ContentLocator => {
  const id = required(args, 'id');
  if (!isUuid(id)) throw new ToolArgumentError('id must be a memory id (a UUID)');
  return { id };
};
const artifactLocator = (args: Record<string, unknown>): ContentLocator => ({
  project: required(args, 'project'),
  slug: required(args, 'slug'),
});

const get = (kind: ContentKind, locator: ContentLocator, context: ToolContext) =>
  context.reads.get(kind, locator, context.actor);

/** An update names at least one field to change: one that names none would change nothing. */
const update = (kind: ContentKind, locator: ContentLocator, body: unknown, context: ToolContext) => {
  const changes = Object.entries(body as object).filter(
    ([field, value]) => field !== 'expected_version' && value !== undefined,
  );
  if (changes.length === 0)
    throw new ToolArgumentError(`nothing to update: give at least one field of the ${kind} to change`);
  return context.reads.change(kind, locator, () =>
    context.rpc.request(ContentRpc.update(kind), { actor: context.actor, locator, body }),
  );
};

/**
 * The MCP tools (PRODUCT.md §14): search, then get / create / update for each kind of content, and
 * render for prompts. Every tool goes through the same content-service RPCs and DTOs as the REST API,
 * so the rules (limits, versions, tenancy) are the same.
 */
export const MCP_TOOLS: readonly McpTool[] = [
  {
    name: 'search',
    title: 'Search',
    action: 'search.query',
    description: 'Ranked full-text search over your prompts, artifacts and memories.',
    scope: 'content:read',
    inputSchema: {
      type: 'object',
      properties: {
        query: text('Words to search for', { minLength: 1, maxLength: 200 }),
        types: {
          type: 'array',
          items: { type: 'string', enum: ['prompts', 'artifacts', 'memories'] },
          description: 'Only these kinds (default: all three)',
        },
        limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
      },
      required: ['query'],
      additionalProperties: false,
    },
    annotations: readOnly,
    async run(args, context) {
      // Only the declared arguments reach the REST DTO, renamed to its fields (`query` is its `q`).
      const { query, types, limit, ...unknown } = args;
      const extra = Object.keys(unknown)[0];
      if (extra !== undefined) throw new ToolArgumentError(`${extra.slice(0, 50)} is not an argument of search`);
      // Told here in the tool's own words: the DTO would name its `q`.
      if (typeof query !== 'string' || query.trim() === '' || query.length > 200)
        throw new ToolArgumentError('query must be a string of 1 to 200 characters: the words to search for');
      const search = await context.validate(SearchQuery, {
        q: query,
        ...(Array.isArray(types) ? { types: types.join(',') } : types === undefined ? {} : { types }),
        ...(limit === undefined ? {} : { limit }),
      });
      return context.rpc.request(ContentRpc.search, { actor: context.actor, query: search });
    },
  },
  {
    name: 'get_memory',
    title: 'Get a memory',
    action: 'memories.get',
    description: 'One memory, by id.',
    scope: 'content:read',
    inputSchema: {
      type: 'object',
      properties: { id: text('The memory id (UUID)') },
      required: ['id'],
      additionalProperties: false,
    },
    annotations: readOnly,
    run: (args, context) => get('memory', memoryLocator(args), context),
  },
  {
    name: 'create_memory',
    title: 'Create a memory',
    action: 'memories.create',
    description: 'Remember a fact, decision or preference, optionally tied to a project.',
    scope: 'content:write',
    inputSchema: {
      type: 'object',
      properties: {
        text: text('What to remember', { minLength: 1, maxLength: 50_000 }),
        title: text('A short title', { maxLength: 255 }),
        project,
        status: entryStatus,
        labels,
        metadata,
      },
      required: ['text'],
      additionalProperties: false,
    },
    annotations: writes(false),
    async run(args, context) {
      const body = await context.validate(CreateMemoryDto, args);
      return context.rpc.request(ContentRpc.create('memory'), { actor: context.actor, body });
    },
  },
  {
    name: 'update_memory',
    title: 'Update a memory',
    action: 'memories.update',
    description: 'Change some fields of a memory; the others stay. Every change is a new version.',
    scope: 'content:write',
    inputSchema: {
      type: 'object',
      properties: {
        id: text('The memory id (UUID)'),
        text: text('New text', { minLength: 1, maxLength: 50_000 }),
        title: text('New title', { maxLength: 255 }),
        project,
        status: entryStatus,
        labels,
        metadata,
        expected_version: expectedVersion,
      },
      required: ['id'],
      additionalProperties: false,
    },
    annotations: writes(true),
    async run(args, context) {
      const locator = memoryLocator(args);
      const body = await context.validate(UpdateMemoryDto, bodyOf(args, 'id'));
      return update('memory', locator, body, context);
    },
  },
  {
    name: 'get_artifact',
    title: 'Get an artifact',
    action: 'artifacts.get',
    description: 'One artifact (a Markdown document of a project), by project and slug.',
    scope: 'content:read',
    inputSchema: {
      type: 'object',
      properties: { project, slug: text('The artifact slug') },
      required: ['project', 'slug'],
      additionalProperties: false,
    },
    annotations: readOnly,
    run: (args, context) => get('artifact', artifactLocator(args), context),
  },
  {
    name: 'create_artifact',
    title: 'Create an artifact',
    action: 'artifacts.create',
    description: 'Store a Markdown document (a work report, a static context…) in a project.',
    scope: 'content:write',
    inputSchema: {
      type: 'object',
      properties: {
        project,
        title: text('Title', { minLength: 1, maxLength: 255 }),
        content: text('Markdown content (at most 1 MiB)', { minLength: 1 }),
        slug: text('Slug (derived from the title when omitted)', { maxLength: 255 }),
        description: text('Description', { maxLength: 500 }),
        type: { type: 'string', enum: ['work_reports', 'static_contexts', 'general'] },
        status: entryStatus,
        labels,
        metadata,
      },
      required: ['project', 'title', 'content'],
      additionalProperties: false,
    },
    annotations: writes(false),
    async run(args, context) {
      const body = await context.validate(CreateArtifactDto, args);
      return context.rpc.request(ContentRpc.create('artifact'), { actor: context.actor, body });
    },
  },
  {
    name: 'update_artifact',
    title: 'Update an artifact',
    action: 'artifacts.update',
    description: 'Change some fields of an artifact, addressed by project and slug. Every change is a new version.',
    scope: 'content:write',
    inputSchema: {
      type: 'object',
      properties: {
        project,
        slug: text('The artifact slug'),
        title: text('New title', { minLength: 1, maxLength: 255 }),
        content: text('New Markdown content', { minLength: 1 }),
        description: text('New description', { maxLength: 500 }),
        type: { type: 'string', enum: ['work_reports', 'static_contexts', 'general'] },
        status: entryStatus,
        labels,
        metadata,
        expected_version: expectedVersion,
      },
      required: ['project', 'slug'],
      additionalProperties: false,
    },
    annotations: writes(true),
    async run(args, context) {
      const locator = artifactLocator(args);
      const body = await context.validate(UpdateArtifactDto, bodyOf(args, 'project', 'slug'));
      return update('artifact', locator, body, context);
    },
  },
  {
    name: 'get_prompt',
    title: 'Get a prompt',
    action: 'prompts.get',
    description: 'One prompt template, by id or slug.',
    scope: 'content:read',
    inputSchema: {
      type: 'object',
      properties: { prompt: text('The prompt id or slug') },
      required: ['prompt'],
      additionalProperties: false,
    },
    annotations: readOnly,
    run: (args, context) => get('prompt', promptLocator(required(args, 'prompt')), context),
  },
  {
    name: 'create_prompt',
    title: 'Create a prompt',
    action: 'prompts.create',
    description:
      'Store a prompt template: {{name}} placeholders, @slug includes another prompt. Published prompts with mcp_expose appear as MCP prompts.',
    scope: 'content:write',
    inputSchema: {
      type: 'object',
      properties: {
        name: text('Name', { minLength: 1, maxLength: 100 }),
        body: text('Template body', { minLength: 1, maxLength: 100_000 }),
        slug: text('Slug (derived from the name when omitted)', { maxLength: 255 }),
        description: text('Description', { maxLength: 500 }),
        status: { type: 'string', enum: ['draft', 'published'] },
        labels,
        mcp_expose: { type: 'boolean', description: 'Offer it as an MCP prompt once published (default true)' },
      },
      required: ['name', 'body'],
      additionalProperties: false,
    },
    annotations: writes(false),
    async run(args, context) {
      const body = await context.validate(CreatePromptDto, args);
      return context.rpc.request(ContentRpc.create('prompt'), { actor: context.actor, body });
    },
  },
  {
    name: 'update_prompt',
    title: 'Update a prompt',
    action: 'prompts.update',
    description: 'Change some fields of a prompt, by id or slug. Every change is a new version.',
    scope: 'content:write',
    inputSchema: {
      type: 'object',
      properties: {
        prompt: text('The prompt id or slug'),
        name: text('New name', { minLength: 1, maxLength: 100 }),
        body: text('New template body', { minLength: 1, maxLength: 100_000 }),
        slug: text('New slug', { maxLength: 255 }),
        description: text('New description', { maxLength: 500 }),
        status: { type: 'string', enum: ['draft', 'published'] },
        labels,
        mcp_expose: { type: 'boolean' },
        expected_version: expectedVersion,
      },
      required: ['prompt'],
      additionalProperties: false,
    },
    annotations: writes(true),
    async run(args, context) {
      const locator = promptLocator(required(args, 'prompt'));
      const body = await context.validate(UpdatePromptDto, bodyOf(args, 'prompt'));
      return update('prompt', locator, body, context);
    },
  },
  {
    name: 'render_prompt',
    title: 'Render a prompt',
    action: 'prompts.render',
    description:
      'A prompt with its {{placeholders}} filled in and @references included; missing values stay as {{name}}.',
    scope: 'content:read',
    inputSchema: {
      type: 'object',
      properties: {
        prompt: text('The prompt id or slug'),
        placeholders: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'Values by placeholder name',
        },
      },
      required: ['prompt'],
      additionalProperties: false,
    },
    annotations: readOnly,
    async run(args, context) {
      const locator = promptLocator(required(args, 'prompt'));
      const body = await context.validate(RenderPromptDto, bodyOf(args, 'prompt'));
      return context.rpc.request(ContentRpc.render, { actor: context.actor, locator, body });
    },
  },
];
