import { randomBytes } from 'node:crypto';
import { mkdir, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UsageError, allowOnly, noMoreArguments, option, positional } from '../args';
import { canonicalBaseUrl } from '../client';
import { type Context, DEFAULT_BASE_URL } from '../context';
import { maskSecrets } from '../output';

/**
 * Claude Code's hook events that `hooks install` sends to the platform (PRODUCT.md §10). Every hook is a
 * request that counts against the account's hourly limit, so by default one per tool call (PostToolUse,
 * which names the tool and has its result) and the session's milestones; `--events all` adds the rest.
 */
export const DEFAULT_EVENTS = ['SessionStart', 'UserPromptSubmit', 'PostToolUse', 'Stop', 'SessionEnd'] as const;
export const ALL_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'Notification',
  'Stop',
  'SubagentStop',
  'PreCompact',
  'SessionEnd',
] as const;
/** Events about a tool call take a matcher; `*` is every tool. */
const TOOL_EVENTS = new Set(['PreToolUse', 'PostToolUse']);
const HOOK_TIMEOUT_SECONDS = 15;
/**
 * The entries this CLI wrote: its node and script by absolute path, then `hooks send claude-code`. A user's
 * own wrapper (`VIBEXP_API_KEY=$(pass …) vibexp hooks send claude-code`) does not match and is left alone.
 */
const OWN_ENTRY = /main\.js'? hooks send claude-code$/;
/** Claude Code waits for the hook; an API that does not answer must not hold every prompt for long. */
export const HOOK_SEND_TIMEOUT_MS = 5_000;
/** Claude Code's limit for additionalContext. */
const MAX_ADDITIONAL_CONTEXT = 10_000;
const CONTEXT_EVENTS = new Set(['SessionStart', 'UserPromptSubmit']);

/** The tools' path segments in `/api/v1/<tool>/hooks`. */
const HOOK_TOOLS = new Set(['claude-code', 'cursor-ide']);

interface CommandHook {
  type: string;
  command?: string;
  timeout?: number;
}
interface MatcherGroup {
  matcher?: string;
  hooks?: CommandHook[];
}
type Settings = Record<string, unknown> & { hooks?: Record<string, MatcherGroup[]> };

/** A word for a POSIX shell: single-quoted, with its own quotes escaped. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const isOwn = (hook: CommandHook): boolean =>
  hook.type === 'command' && hook.command !== undefined && OWN_ENTRY.test(hook.command);

export interface HookChanges {
  settings: Settings;
  /** Events that got this CLI's hook. */
  added: number;
  /** Own entries whose command changed (the CLI moved). */
  updated: number;
  /** Own entries of events no longer chosen (`--events all`, then the default). */
  removed: number;
}

/**
 * The settings with this CLI's hook on each chosen event and on no other, keeping everything else there.
 * Run again, it updates its own entries (a moved installation) instead of adding more.
 */
export function withPlatformHooks(
  settings: Settings,
  command: string,
  events: readonly string[] = DEFAULT_EVENTS,
): HookChanges {
  const hooks: Record<string, MatcherGroup[]> = { ...(settings.hooks ?? {}) };
  const changes = { added: 0, updated: 0, removed: 0 };
  for (const event of ALL_EVENTS) {
    const chosen = events.includes(event);
    const groups: MatcherGroup[] = [];
    for (const group of hooks[event] ?? []) {
      const kept = (group.hooks ?? []).flatMap((hook) => {
        if (!isOwn(hook)) return [hook];
        if (!chosen) {
          changes.removed += 1;
          return [];
        }
        if (hook.command === command) return [hook];
        changes.updated += 1;
        return [{ ...hook, command }];
      });
      // A group that only held our hook goes with it; anything else of the user's stays as it was.
      if (kept.length > 0 || (group.hooks ?? []).length === 0) groups.push({ ...group, hooks: kept });
    }
    if (chosen && !groups.some((group) => (group.hooks ?? []).some((hook) => hook.command === command))) {
      groups.push({
        ...(TOOL_EVENTS.has(event) ? { matcher: '*' } : {}),
        hooks: [{ type: 'command', command, timeout: HOOK_TIMEOUT_SECONDS }],
      });
      changes.added += 1;
    }
    if (groups.length > 0) hooks[event] = groups;
    else delete hooks[event];
  }
  return { settings: { ...settings, hooks }, ...changes };
}

/**
 * Cursor's hook events that `hooks install cursor-ide` sends: the ones that only observe (a `before…` hook
 * would have to answer whether the agent may go on). Cursor names the file's entries by event, each a list of
 * `{ command }` (`.cursor/hooks.json`, `version: 1`).
 */
export const CURSOR_EVENTS = ['afterFileEdit', 'afterShellExecution', 'afterMCPExecution', 'stop'] as const;
const OWN_CURSOR_ENTRY = /main\.js'? hooks send cursor-ide$/;

interface CursorHooksFile extends Record<string, unknown> {
  version?: number;
  hooks?: Record<string, { command?: string }[]>;
}

/** The Cursor hooks file with this CLI's hook on each event, keeping everything else; updates its own entries. */
export function withCursorHooks(
  file: CursorHooksFile,
  command: string,
): { file: CursorHooksFile } & Omit<HookChanges, 'settings'> {
  const hooks: Record<string, { command?: string }[]> = { ...(file.hooks ?? {}) };
  const changes = { added: 0, updated: 0, removed: 0 };
  for (const event of CURSOR_EVENTS) {
    const entries = (hooks[event] ?? []).map((entry) => {
      if (entry.command === undefined || !OWN_CURSOR_ENTRY.test(entry.command) || entry.command === command)
        return entry;
      changes.updated += 1;
      return { ...entry, command };
    });
    if (!entries.some((entry) => entry.command === command)) {
      entries.push({ command });
      changes.added += 1;
    }
    hooks[event] = entries;
  }
  return { file: { ...file, version: file.version ?? 1, hooks }, ...changes };
}

/**
 * `vibexp hooks install claude-code|cursor-ide [--dir <project>] [--global]`: adds a command hook for each
 * event to `<project>/.claude/settings.local.json` (personal, not committed) or, with --global,
 * `~/.claude/settings.json`; for Cursor to `<project or ~>/.cursor/hooks.json`. The hook runs
 * `vibexp hooks send <tool>`, which reads the key from VIBEXP_API_KEY or the stored credentials: the key is
 * never written into the settings.
 */
async function install(context: Context): Promise<void> {
  const { args, io } = context;
  allowOnly(args, ['dir', 'events']);
  noMoreArguments(args, 3);
  const tool = positional(args, 2, 'the tool: claude-code or cursor-ide');
  if (tool !== 'claude-code' && tool !== 'cursor-ide')
    throw new UsageError(`hooks install supports claude-code and cursor-ide, not ${tool}`);
  const eventsOption = option(args, 'events') ?? 'default';
  if (eventsOption !== 'default' && eventsOption !== 'all') throw new UsageError('--events must be default or all');
  if (tool === 'cursor-ide' && option(args, 'events') !== undefined)
    throw new UsageError('--events is for claude-code: cursor-ide gets its four observing events');
  if (args.flags.has('global') && option(args, 'dir') !== undefined)
    throw new UsageError('give --dir or --global, not both');
  const folder = args.flags.has('global') ? io.home : resolve(option(args, 'dir') ?? '.');
  // The project's folder must be there: a typo in --dir would otherwise make a whole new tree.
  const found = await stat(folder).catch(() => undefined);
  if (!found?.isDirectory())
    throw new UsageError(
      `${folder} ${found ? 'is not a folder' : 'does not exist'}: give the project's folder to --dir`,
    );
  const requested =
    tool === 'claude-code'
      ? join(folder, '.claude', args.flags.has('global') ? 'settings.json' : 'settings.local.json')
      : join(folder, '.cursor', 'hooks.json');
  const path = await realTarget(requested);
  const current = await readJsonObject(path);
  const command = [...io.selfCommand, 'hooks', 'send', tool].map(shellQuote).join(' ');
  let events: readonly string[];
  let result: { added: number; updated: number; removed: number };
  if (tool === 'claude-code') {
    events = eventsOption === 'all' ? ALL_EVENTS : DEFAULT_EVENTS;
    const changed = withPlatformHooks(current as Settings, command, events);
    await writeSettings(path, changed.settings);
    result = changed;
  } else {
    events = CURSOR_EVENTS;
    const changed = withCursorHooks(current as CursorHooksFile, command);
    await writeSettings(path, changed.file);
    result = changed;
  }
  const baseUrl = await warnWithoutAiTools(context);
  const { added, updated, removed } = result;
  context.print(
    { path, events, added, updated, removed, command },
    () =>
      `${installReport(added, updated, removed, events.length - added - updated)} ${tool === 'claude-code' ? 'Claude Code' : 'Cursor'} hooks for ${events.join(', ')} in ${path}\n` +
      `They post to ${baseUrl}/api/v1/${tool}/hooks with the key of \`vibexp auth login\` (or VIBEXP_API_KEY).\n`,
  );
}

/** A JSON settings file as an object: {} when there is none; refused (nothing written) when it is not JSON. */
async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SyntaxError('not an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(
      `${path} is not a JSON object (${(error as Error).message}); fix it or move it away, nothing was changed`,
      { cause: error },
    );
  }
}

/** What an install did, counted by hook: the events listed after it are all the chosen ones, new or not. */
function installReport(added: number, updated: number, removed: number, unchanged: number): string {
  const done = [
    added > 0 ? `added ${added}` : '',
    updated > 0 ? `updated ${updated}` : '',
    removed > 0 ? `removed ${removed} (events no longer chosen)` : '',
  ].filter(Boolean);
  if (done.length === 0) return 'Already installed:';
  return `Hooks ${done.join(', ')}${unchanged > 0 ? `, ${unchanged} already installed` : ''}:`;
}

/** A settings file that is a symlink (dotfiles) is written where it points, not replaced by a file. */
async function realTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw error;
  }
}

/**
 * Written to an unguessable temporary file created exclusively (a planted symlink is never followed),
 * with the mode the file had (settings may hold secrets in `env`), then renamed over it.
 */
async function writeSettings(path: string, settings: object): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const mode = await stat(path).then(
    (found) => found.mode & 0o777,
    () => 0o644,
  );
  const temporary = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(settings, null, 2)}\n`, { flag: 'wx', mode });
  await rename(temporary, path);
}

/**
 * The hooks need a key with `ai_tools`: says so now rather than on every hook, and says why the key could not be
 * checked (not logged in, a key stored for another URL, an API that does not answer). Only a hint: never fails
 * the install. Returns the URL the hooks post to, as written canonically (never `…/api/v1/api/v1/…`).
 */
async function warnWithoutAiTools(context: Context): Promise<string> {
  let baseUrl = await context.baseUrl().catch(() => context.io.env.VIBEXP_BASE_URL ?? DEFAULT_BASE_URL);
  try {
    const credentials = await context.credentials();
    baseUrl = credentials.baseUrl;
    context.keySource = credentials.keySource;
    const me = await context
      .clientWith(credentials.apiKey, credentials.baseUrl)
      .json<{ api_key?: { integrations: string[] } }>('GET', '/api/v1/auth/me');
    if (me.api_key && !me.api_key.integrations.includes('ai_tools'))
      context.note(
        'vibexp: warning: the key lacks the ai_tools integration the hook endpoints need; log in with a key that has it, or set VIBEXP_API_KEY for the tool',
      );
  } catch (error) {
    const why = maskSecrets((error as Error).message.split('\n')[0]);
    context.note(`vibexp: warning: could not check the key: ${why}; the hooks need a key with ai_tools`);
  }
  try {
    return canonicalBaseUrl(baseUrl);
  } catch {
    return baseUrl;
  }
}

/** A hook could not be delivered: reported on stderr with exit 1, which Claude Code treats as non-blocking. */
export class HookNotDelivered extends Error {
  override readonly name = 'HookNotDelivered';
}

/**
 * `vibexp hooks send <claude-code|cursor-ide>`: what the installed hook runs. Posts the hook JSON from stdin
 * and prints only what the tool reads back (Claude Code's hookSpecificOutput), so nothing else lands in the
 * conversation. Every failure exits 1, never 2 (which would block Claude Code's tool call).
 */
async function send(context: Context): Promise<void> {
  const { args, io } = context;
  try {
    allowOnly(args, []);
    noMoreArguments(args, 3);
    const tool = positional(args, 2, 'the tool: claude-code or cursor-ide');
    if (!HOOK_TOOLS.has(tool)) throw new UsageError(`unknown tool ${tool}`);
    const body = await context.readInput(`the ${tool} hook JSON (what an installed hook sends; not typed by hand)`);
    const answer = await (
      await context.client(HOOK_SEND_TIMEOUT_MS)
    ).json<{ hookSpecificOutput?: unknown }>('POST', `/api/v1/${tool}/hooks`, {
      body,
    });
    const output = tool === 'claude-code' ? contextOutput(body, answer?.hookSpecificOutput) : undefined;
    if (output) io.stdout.write(`${JSON.stringify({ hookSpecificOutput: output })}\n`);
  } catch (error) {
    throw new HookNotDelivered(`hook not delivered: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * What Claude Code may read back: context for the two events that take it, and nothing else. Whatever else
 * the server sent (a permission decision, a rewritten tool input) is dropped, so a compromised or spoofed
 * API can add text to a conversation but never approve or change a tool call.
 */
export function contextOutput(
  hookJson: string,
  output: unknown,
): { hookEventName: string; additionalContext: string } | undefined {
  let event: unknown;
  try {
    event = (JSON.parse(hookJson) as { hook_event_name?: unknown }).hook_event_name;
  } catch {
    return undefined;
  }
  const context = (output as { additionalContext?: unknown } | undefined)?.additionalContext;
  if (typeof event !== 'string' || !CONTEXT_EVENTS.has(event) || typeof context !== 'string' || context === '')
    return undefined;
  return { hookEventName: event, additionalContext: context.slice(0, MAX_ADDITIONAL_CONTEXT) };
}

export async function hooks(context: Context): Promise<void> {
  const action = positional(context.args, 1, 'what to do: install or send');
  if (action === 'install') return install(context);
  if (action === 'send') return send(context);
  throw new UsageError(`unknown command: hooks ${action}`);
}
