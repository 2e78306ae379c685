import { type EventEnvelope, isUuid } from '#contracts';

/** One audit-log row: the envelope plus the fields the filters and PRODUCT.md §9.1 put at top level. Pure. */
export interface AuditRow {
  event_id: string;
  occurred_at: string;
  event_type: string;
  stream: string;
  stream_version: number;
  account_id: string | null;
  key_id: string | null;
  /** The OAuth app the event is of or came through (lowercase), for the audit log's app filter. */
  client_id: string | null;
  key_prefix: string | null;
  request_id: string;
  outcome: 'success' | 'failure';
  action: string;
  ip: string | null;
  location: unknown;
  tool_type: string | null;
  data: Record<string, unknown>;
  meta: Record<string, unknown>;
  source_stream: string;
}

const FAILURES = new Set(['auth.failed', 'auth.login_failed']);

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

export function outcomeOf(event: EventEnvelope): 'success' | 'failure' {
  if (FAILURES.has(event.type)) return 'failure';
  if (event.type === 'key.used' || event.type === 'oauth_token.used') {
    const data = event.data as { status?: unknown; error_code?: unknown };
    const status = Number(data.status);
    // An MCP request can fail inside a 200 answer (a JSON-RPC error, a refused tool call): error_code says so.
    if (typeof data.error_code === 'string') return 'failure';
    return Number.isFinite(status) && status >= 400 ? 'failure' : 'success';
  }
  return 'success';
}

/**
 * The app of an event: the changes made through it name it in `meta`, its own events (oauth.*,
 * oauth_token.used) in `data`. Only those are read: any other event's data is the user's own document.
 */
export function clientIdOf(event: EventEnvelope): string | null {
  const named =
    (event.meta as { client_id?: unknown }).client_id ??
    (event.type.startsWith('oauth') ? (event.data as { client_id?: unknown }).client_id : undefined);
  return isUuid(named) ? named.toLowerCase() : null;
}

export function toAuditRow(event: EventEnvelope, sourceStream: string): AuditRow {
  const data = event.data as Record<string, unknown>;
  return {
    event_id: event.id,
    occurred_at: event.occurred_at,
    event_type: event.type,
    stream: event.stream,
    stream_version: event.version,
    account_id: event.meta.account_id,
    // The key an event is about: the one that made a change, or the one an alert (and a decision on it) names,
    // none for an alert that names none (a decision's `meta.key_id` is the key that made it).
    key_id: event.type.startsWith('alert.') ? text(data.key_id) : (event.meta.key_id ?? text(data.key_id)),
    client_id: clientIdOf(event),
    key_prefix: text(data.key_prefix),
    request_id: event.meta.request_id,
    outcome: outcomeOf(event),
    // Requests carry their own action (prompts.list…); other events are their type (key.revoked…).
    action: text(data.action) ?? event.type,
    ip: event.meta.ip ?? text(data.ip),
    // A request's own (key.used, auth.failed), else the command's that made the event (key.created, a login…).
    location: data.location ?? event.meta.location ?? null,
    tool_type: text(data.tool_type),
    data,
    meta: event.meta as unknown as Record<string, unknown>,
    source_stream: sourceStream,
  };
}
