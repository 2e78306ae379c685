import { randomUUID } from 'node:crypto';
import {
  type Check,
  PAGING,
  UsageError,
  allowOnly,
  checkedOption,
  choicesOf,
  integerOption,
  listOption,
  noMoreArguments,
  option,
  positional,
  queryOptions,
} from '../args';
import {
  ARTIFACT_SORTS,
  ARTIFACT_TYPES,
  ARTIFACT_TYPE_ALIASES,
  ENTRY_STATUSES,
  ENTRY_STATUS_ALIASES,
  MEMORY_SORTS,
  PROMPT_SORTS,
  PROMPT_STATUSES,
} from '../api-values';
import type { Context } from '../context';
import { readNamedFile } from '../files';
import { details, fitted, pageLine, table } from '../output';

type FieldKind = 'text' | 'list' | 'json' | 'boolean';

interface KindSpec {
  path: string;
  plural: string;
  /** Table columns of a list. */
  columns: readonly string[];
  /** Fields a create or update takes, as `--<name-with-dashes>`. */
  fields: Record<string, FieldKind>;
  /** The long text field, which may also come from a file (`--body-file path`, `-` for stdin). */
  textField: string;
  /** Fields a create must have (PRODUCT.md §5): missing, it is a usage error before any request. */
  required: readonly string[];
  /** List filters, as query parameters. */
  filters: readonly string[];
  /**
   * What the API takes for the fields and filters that have a set of values (of a list, a create and an update),
   * keyed by field name (`mcp_expose`, `sort_by`), as `fields` are.
   */
  checks: Record<string, Check>;
  /** How a resource is addressed in a path: an id or slug, or (artifacts) `project/slug`. */
  reference: string;
}

const LIST = ['search', 'labels', 'sort-by', 'sort-order', 'page', 'limit'];
const ENTRY_STATUS: Check = { choices: ENTRY_STATUSES, aliases: ENTRY_STATUS_ALIASES };

const KINDS: Record<string, KindSpec> = {
  prompt: {
    path: '/api/v1/prompts',
    plural: 'prompts',
    columns: ['id', 'slug', 'name', 'status', 'version', 'updated_at'],
    fields: {
      name: 'text',
      slug: 'text',
      description: 'text',
      body: 'text',
      status: 'text',
      labels: 'list',
      mcp_expose: 'boolean',
    },
    textField: 'body',
    required: ['name', 'body'],
    filters: ['status', 'mcp-expose', ...LIST],
    checks: {
      status: { choices: PROMPT_STATUSES },
      mcp_expose: { choices: ['true', 'false'] },
      sort_by: { choices: PROMPT_SORTS },
    },
    reference: 'id or slug',
  },
  artifact: {
    path: '/api/v1/artifacts',
    plural: 'artifacts',
    columns: ['project', 'slug', 'title', 'type', 'status', 'version', 'updated_at'],
    fields: {
      project: 'text',
      slug: 'text',
      title: 'text',
      description: 'text',
      content: 'text',
      type: 'text',
      status: 'text',
      labels: 'list',
      metadata: 'json',
    },
    textField: 'content',
    required: ['project', 'title', 'content'],
    filters: ['project', 'type', 'status', ...LIST],
    checks: {
      type: { choices: ARTIFACT_TYPES, aliases: ARTIFACT_TYPE_ALIASES },
      status: ENTRY_STATUS,
      sort_by: { choices: ARTIFACT_SORTS },
    },
    reference: 'project/slug',
  },
  memory: {
    path: '/api/v1/memories',
    plural: 'memories',
    columns: ['id', 'title', 'project', 'status', 'version', 'updated_at'],
    fields: { text: 'text', title: 'text', project: 'text', status: 'text', labels: 'list', metadata: 'json' },
    textField: 'text',
    required: ['text'],
    filters: ['project', 'status', 'metadata', ...LIST],
    checks: { status: ENTRY_STATUS, sort_by: { choices: MEMORY_SORTS } },
    reference: 'id',
  },
};

const dashed = (field: string): string => field.replace(/_/g, '-');

/** A kind's checks keyed by option name (`--mcp-expose`), as a list's query options are. */
const optionChecks = (spec: KindSpec): Record<string, Check> =>
  Object.fromEntries(Object.entries(spec.checks).map(([field, check]) => [dashed(field), check]));

/**
 * The path of one resource. Only an artifact's `project/slug` has several segments, each encoded on its
 * own; `.` and `..` are refused, so a reference never addresses another route (`memory delete ../prompts/x`).
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function resourcePath(spec: KindSpec, reference: string): string {
  const segments = spec.reference === 'project/slug' ? reference.split('/') : [reference];
  if (segments.some((segment) => segment === '.' || segment === '..' || segment === ''))
    throw new UsageError(`not a ${spec.reference}: ${reference}`);
  return `${spec.path}/${segments.map(encodeURIComponent).join('/')}`;
}

/** The body of a create or update from its options; only what was given is sent (updates are partial). */
async function bodyOf(context: Context, spec: KindSpec): Promise<Record<string, unknown>> {
  const { args } = context;
  const body: Record<string, unknown> = {};
  for (const [field, kind] of Object.entries(spec.fields)) {
    const value =
      kind === 'list' ? listOption(args, dashed(field)) : checkedOption(args, dashed(field), spec.checks[field]);
    if (value === undefined) continue;
    if (kind === 'list')
      body[field] = value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    else if (kind === 'boolean') {
      if (value !== 'true' && value !== 'false') throw new UsageError(`--${dashed(field)} must be true or false`);
      body[field] = value === 'true';
    } else if (kind === 'json') {
      try {
        body[field] = JSON.parse(value);
      } catch {
        throw new UsageError(`--${dashed(field)} must be JSON, e.g. '{"team":"web"}'`);
      }
    } else body[field] = value;
  }
  const file = option(args, `${spec.textField}-file`);
  if (file !== undefined) {
    if (body[spec.textField] !== undefined)
      throw new UsageError(`give --${spec.textField} or --${spec.textField}-file, not both`);
    body[spec.textField] =
      file === '-'
        ? await context.readInput(`the ${args.positionals[0]}'s ${spec.textField}`)
        : await readNamedFile(file);
  }
  const expected = integerOption(args, 'expected-version', { min: 1 });
  if (expected !== undefined) body.expected_version = expected;
  return body;
}

/**
 * A kind's own help: its options of create and update (required ones marked), how its items are addressed, and
 * the arguments of versions and restore.
 */
export function contentHelp(kind: string): string {
  const spec = KINDS[kind];
  const value = { text: '', list: ' a,b', json: " '{json}'", boolean: ' true|false' } as const;
  const options = Object.entries(spec.fields).map(([field, type]) => {
    const values = choicesOf(spec.checks[field]);
    const name = `--${dashed(field)}${values ? ` ${values}` : value[type]}`;
    const shown = field === spec.textField ? `${name} (or --${spec.textField}-file path, - for stdin)` : name;
    return spec.required.includes(field) ? `${shown} [required by create]` : shown;
  });
  const checks: Record<string, Check> = { ...PAGING, ...optionChecks(spec) };
  const filter = (name: string) => {
    const values = choicesOf(checks[name]);
    const shown =
      values || { search: 'words', labels: 'a,b', project: 'name', metadata: `'{"key":["v1","v2"]}'` }[name] || 'value';
    return `[--${name} ${shown}]`;
  };
  return [
    wrapped(`  ${kind} list`, spec.filters.map(filter)),
    `  (--labels matches any of them; --status, by default, ${kind === 'prompt' ? 'any' : 'all but archived'}; newest change first, 20 a page)`,
    `Fields of ${kind} create/update: ${options.join(', ')}; update also takes --expected-version n.`,
    `${kind === 'artifact' ? 'An' : 'A'} ${kind} is addressed by its ${spec.reference.includes('id') ? spec.reference : `${spec.reference} or its id`}${spec.reference === 'id' ? ', a deleted one too' : '; a deleted one by its id only'}:`,
    `  ${kind} versions <ref> [--page n --limit n] (oldest first, 20 a page), ${kind} restore <ref> <version> (restoring a deleted ${kind}'s version brings it back).`,
  ].join('\n');
}

/** A help line of words, continued on indented lines where it would pass 110 columns. */
function wrapped(head: string, words: readonly string[]): string {
  const lines = [head];
  for (const word of words)
    if (`${lines[lines.length - 1]} ${word}`.length > 110) lines.push(`    ${word}`);
    else lines[lines.length - 1] += ` ${word}`;
  return lines.join('\n');
}

function bodyOptions(spec: KindSpec): string[] {
  return [...Object.keys(spec.fields).map(dashed), `${spec.textField}-file`];
}

/** `vibexp prompt|artifact|memory <action> …` (PRODUCT.md §5, §12). */
export async function content(context: Context): Promise<void> {
  const { args } = context;
  const kindName = positional(args, 0, 'a kind');
  const spec = KINDS[kindName];
  const action = positional(args, 1, `what to do with the ${kindName}`);
  const actions = [
    'list',
    'get',
    'create',
    'update',
    'delete',
    'versions',
    'restore',
    ...(kindName === 'prompt' ? ['render'] : []),
  ];
  if (!actions.includes(action))
    throw new UsageError(`unknown command: ${kindName} ${action} (one of: ${actions.join(', ')})`);
  const takes = ['list', 'create'].includes(action) ? 2 : action === 'restore' ? 4 : 3;
  noMoreArguments(args, takes);
  // The client (and with it the key) once the command line is known to be right: a usage error is exit 2,
  // logged in or not.
  const client = () => context.client();
  const reference = () => positional(args, 2, `the ${kindName}'s ${spec.reference}`);
  const show = (view: Record<string, unknown>) => context.print(view, () => details(view));

  switch (action) {
    case 'list': {
      allowOnly(args, spec.filters);
      const metadata = option(args, 'metadata');
      if (metadata !== undefined && !isJsonObject(metadata))
        throw new UsageError(`--metadata must be a JSON object such as '{"team":["web","api"]}'`);
      const query = queryOptions(args, spec.filters, optionChecks(spec));
      const page = await (await client()).json<Record<string, unknown>>('GET', spec.path, { query });
      // A memory without a title is shown by the start of its text, quoted, rather than as "-".
      const rows = (page[spec.plural] as Record<string, unknown>[]).map((row) =>
        kindName === 'memory' && !row.title && typeof row.text === 'string'
          ? { ...row, title: `“${snippet(row.text)}”` }
          : row,
      );
      context.print(page, () => table(rows, spec.columns) + pageLine(page));
      return;
    }
    case 'get': {
      allowOnly(args, []);
      const path = resourcePath(spec, reference());
      return show(await (await client()).json('GET', path));
    }
    case 'create': {
      allowOnly(args, bodyOptions(spec));
      // One key per command: its retries after a lost answer make one item, not several.
      const body = await bodyOf(context, spec);
      const missing = spec.required.filter((field) => body[field] === undefined);
      if (missing.length > 0)
        throw new UsageError(
          `${kindName} create needs ${missing
            .map((field) =>
              field === spec.textField ? `--${dashed(field)} (or --${dashed(field)}-file)` : `--${dashed(field)}`,
            )
            .join(', ')}`,
        );
      return show(
        await (
          await client()
        ).json('POST', spec.path, { body, headers: { 'idempotency-key': randomUUID() }, retry: true }),
      );
    }
    case 'update': {
      allowOnly(args, [...bodyOptions(spec), 'expected-version']);
      const path = resourcePath(spec, reference());
      const body = await bodyOf(context, spec);
      if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give at least one field');
      return show(await (await client()).json('PUT', path, { body }));
    }
    case 'delete': {
      allowOnly(args, []);
      const ref = reference();
      const path = resourcePath(spec, ref);
      const api = await client();
      // A deleted item is found by its id only (its slug may name another one by then), so one deleted by its slug
      // or path is looked up first: the answer can say how to bring it back, and the delete hits what was looked up.
      const id = spec.reference === 'id' || UUID.test(ref) ? ref : (await api.json<{ id: string }>('GET', path)).id;
      await api.json('DELETE', `${spec.path}/${encodeURIComponent(id)}`);
      context.print(
        { deleted: true, id },
        () =>
          `Deleted ${kindName} ${ref}${id === ref ? '' : ` (id ${id})`}; to undo: \`vibexp ${kindName} versions ${id}\`, then \`vibexp ${kindName} restore ${id} <version>\`\n`,
      );
      return;
    }
    case 'versions': {
      allowOnly(args, ['page', 'limit']);
      const path = `${resourcePath(spec, reference())}/versions`;
      const query = queryOptions(args, ['page', 'limit']);
      const answer = await (
        await client()
      ).json<{ versions: Record<string, unknown>[] } & Record<string, unknown>>('GET', path, { query });
      context.print(answer, () => {
        const rows = answer.versions.map((version) => ({ ...version, by: actorInWords(version.actor) }));
        return table(rows, ['version', 'created_at', 'by', 'status']) + pageLine(answer, 'versions in all');
      });
      return;
    }
    case 'restore': {
      allowOnly(args, []);
      const path = resourcePath(spec, reference());
      const version = positional(args, 3, 'the version number to restore');
      return show(await (await client()).json('POST', `${path}/versions/${encodeURIComponent(version)}/restore`));
    }
    case 'render': {
      allowOnly(args, ['set']);
      const placeholders: Record<string, string> = {};
      for (const pair of args.options.get('set') ?? []) {
        const equals = pair.indexOf('=');
        if (equals < 1) throw new UsageError(`--set takes name=value, not "${pair}"`);
        placeholders[pair.slice(0, equals)] = pair.slice(equals + 1);
      }
      const path = `${resourcePath(spec, reference())}/render`;
      const rendered = await (
        await client()
      ).json<{ rendered_body: string; placeholders_missing: string[]; warnings: string[] }>('POST', path, {
        body: { placeholders },
      });
      context.print(rendered, () => {
        for (const name of rendered.placeholders_missing) context.note(`vibexp: no value for {{${name}}}`);
        for (const warning of rendered.warnings) context.note(`vibexp: ${warning}`);
        return rendered.rendered_body.endsWith('\n') ? rendered.rendered_body : `${rendered.rendered_body}\n`;
      });
      return;
    }
  }
}

export const CONTENT_KINDS = Object.keys(KINDS);

/** The start of a text on one line, for a list: at most 40 columns, cut between whole characters as cells are. */
function snippet(text: string): string {
  return fitted(text.replace(/\s+/g, ' ').trim(), 40);
}

function isJsonObject(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

/** Who made a version, as a person reads it: the API key or app by the start of its id, or the dashboard. */
function actorInWords(actor: unknown): string {
  const { type, key_id: keyId, client_id: clientId } = (actor ?? {}) as Record<string, unknown>;
  if (type === 'api_key' && typeof keyId === 'string') return `API key ${keyId.slice(0, 8)}…`;
  if (type === 'oauth_app' && typeof clientId === 'string') return `app ${clientId.slice(0, 8)}…`;
  if (type === 'session') return 'dashboard';
  return '-';
}
