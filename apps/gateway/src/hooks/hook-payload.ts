import { HttpStatus } from '@nestjs/common';
import { ProblemError, REDACTED, type ValidationErrorItem, isSecretField, redactText } from '#common';
import type { HookTool, RecordHookRequest } from '#contracts';

/** Hook JSON is the tools' own format, not a DTO of ours; it is still bounded, like every body. */
const MAX_DEPTH = 32;
/**
 * What is kept of one string: a tool's whole output (a file it read, a build log) is not audit material,
 * and hooks are frequent. Its beginning is kept, with a note of how much was cut.
 */
export const MAX_STORED_STRING = 16 * 1024;
/** How far past the cut a long string is read for secrets: more than the longest secret value masked (1,024). */
const MASK_MARGIN = 2_048;
/** The stored JSON as a whole (after masking and cutting): an event, a NATS message and an audit row. */
export const MAX_STORED_HOOK_BYTES = 1024 * 1024;
/** Only ranks memories: a few sentences are plenty. */
const MAX_PROMPT_FOR_RANKING = 2_000;
/** A NUL or a lone surrogate: valid JSON, but text PostgreSQL cannot store. */
const UNSTORABLE = /[\0\p{Cs}]/gu;

class TooDeep extends Error {}

/**
 * Makes the hook JSON storable, recording whether anything was cut:
 * - every string (and key) masked as in logs: key shapes, bearer tokens, session cookies, passwords and
 *   URL passwords in text, and the whole value of a field named like a secret (`password`, `token`…).
 *   A tool's input or output may hold one; it must not land in an event;
 * - characters PostgreSQL cannot store replaced by U+FFFD, rather than refusing a hook for them;
 * - a number beyond a double (`1e400`, read as Infinity) kept as the text "Infinity" or "-Infinity": JSON would
 *   write it as null, a value the tool never sent;
 * - strings cut at MAX_STORED_STRING.
 * `Object.fromEntries` keeps a `__proto__` key as a plain property instead of setting a prototype.
 */
class StorableCopy {
  truncated = false;

  of(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.text(value);
    if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
    if (typeof value !== 'object' || value === null) return value;
    if (depth >= MAX_DEPTH) throw new TooDeep();
    if (Array.isArray(value)) return value.map((item) => this.of(item, depth + 1));
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        this.text(key),
        // A flag (`requires_auth: true`) says nothing secret: kept, like null and ''.
        isSecretField(key) && inner !== null && inner !== '' && typeof inner !== 'boolean'
          ? REDACTED
          : this.of(inner, depth + 1),
      ]),
    );
  }

  private text(value: string): string {
    if (value.length <= MAX_STORED_STRING) return redactText(value.replace(UNSTORABLE, '\uFFFD'));
    this.truncated = true;
    // Masked before the cut, with a margin past it: a secret the cut would halve (`password: "…` without its closing
    // quote) is still recognised whole, and none of it is kept.
    const masked = redactText(value.slice(0, MAX_STORED_STRING + MASK_MARGIN).replace(UNSTORABLE, '\uFFFD'));
    // Never between the two halves of a character outside the BMP (an emoji): that half would be stored as U+FFFD.
    const last = masked.charCodeAt(MAX_STORED_STRING - 1);
    const kept = last >= 0xd800 && last <= 0xdbff ? MAX_STORED_STRING - 1 : MAX_STORED_STRING;
    return `${masked.slice(0, kept)}…[${value.length - kept} more characters not stored]`;
  }
}

const invalid = (validationErrors: ValidationErrorItem[]): ProblemError =>
  new ProblemError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'the hook JSON is not valid: see validation_errors', {
    validationErrors,
  });

/** Where each tool puts the session id: Cursor's `conversation_id` stands in for Claude Code's `session_id`. */
const SESSION_FIELD: Record<HookTool, string> = { claude_code: 'session_id', cursor: 'conversation_id' };

interface FieldRule {
  field: string;
  /** The longest text taken, if there is a limit. */
  max?: number;
  required: boolean;
}

function textField(body: Record<string, unknown>, rule: FieldRule, errors: ValidationErrorItem[]): string | undefined {
  const value = body[rule.field];
  if (value === undefined || value === null) {
    if (rule.required) errors.push({ field: rule.field, message: 'is required' });
    return undefined;
  }
  if (typeof value !== 'string') errors.push({ field: rule.field, message: 'must be a string' });
  else if (rule.required && value.trim() === '') errors.push({ field: rule.field, message: 'must not be empty' });
  else if (rule.max !== undefined && value.length > rule.max)
    errors.push({ field: rule.field, message: `must be at most ${rule.max} characters` });
  else return value;
  return undefined;
}

/**
 * A hook as Claude Code or Cursor posts it (PRODUCT.md §10), taken unchanged: any other field is kept.
 * The fields the platform reads must have their documented type; the session id and the event name are
 * required. Throws 400 VALIDATION_FAILED naming each bad field.
 */
export function parseHook(tool: HookTool, body: unknown): RecordHookRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid([{ field: '(body)', message: 'must be a JSON object' }]);
  const copy = new StorableCopy();
  let payload: Record<string, unknown>;
  try {
    payload = copy.of(body, 0) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TooDeep)
      throw invalid([{ field: '(body)', message: `is nested more than ${MAX_DEPTH} levels deep` }]);
    throw error;
  }
  // Sent on as text: content-service parses it whole, never walking it key by key through a DTO.
  const payloadJson = JSON.stringify(payload);
  if (Buffer.byteLength(payloadJson) > MAX_STORED_HOOK_BYTES)
    throw new ProblemError(
      HttpStatus.PAYLOAD_TOO_LARGE,
      'PAYLOAD_TOO_LARGE',
      `the hook JSON is over ${MAX_STORED_HOOK_BYTES / 1024 / 1024} MiB once its strings are cut to ${MAX_STORED_STRING / 1024} KiB each`,
    );
  const errors: ValidationErrorItem[] = [];
  const sessionId = textField(payload, { field: SESSION_FIELD[tool], max: 255, required: true }, errors);
  const hookEventName = textField(payload, { field: 'hook_event_name', max: 100, required: true }, errors);
  const toolName = textField(payload, { field: 'tool_name', max: 200, required: false }, errors);
  let cwd = textField(payload, { field: 'cwd', max: 4096, required: false }, errors);
  const prompt = textField(payload, { field: 'prompt', required: false }, errors);
  if (cwd === undefined && tool === 'cursor') cwd = firstWorkspaceRoot(payload.workspace_roots, errors);
  if (errors.length > 0 || sessionId === undefined || hookEventName === undefined) throw invalid(errors);
  return {
    tool,
    session_id: sessionId,
    hook_event_name: hookEventName,
    ...(toolName !== undefined ? { tool_name: toolName } : {}),
    ...(cwd !== undefined ? { cwd } : {}),
    ...(prompt !== undefined ? { prompt: prompt.slice(0, MAX_PROMPT_FOR_RANKING) } : {}),
    payload_json: payloadJson,
    truncated: copy.truncated,
  };
}

/** Cursor names the open folders in `workspace_roots`; the first is the session's directory. */
function firstWorkspaceRoot(roots: unknown, errors: ValidationErrorItem[]): string | undefined {
  if (roots === undefined || roots === null) return undefined;
  if (!Array.isArray(roots) || roots.some((root) => typeof root !== 'string')) {
    errors.push({ field: 'workspace_roots', message: 'must be an array of strings' });
    return undefined;
  }
  const [first] = roots as string[];
  return first !== undefined && first.length <= 4096 ? first : undefined;
}
