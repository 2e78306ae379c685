import { ContractViolation } from './errors';

/** Metadata carried by every event (PRODUCT.md §8). Never holds a secret. */
export interface EventMeta {
  request_id: string;
  account_id: string | null;
  key_id?: string;
  /** The OAuth app (MCP client) a content change came through, beyond §8's minimum; its grant is in oauth_token.used. */
  client_id?: string;
  ip?: string;
  user_agent?: string;
  /** Where `ip` is (a command's; usage events carry theirs in `data`), beyond §8's minimum. */
  location?: { country: string; city: string | null };
}

/** The event envelope of PRODUCT.md §8, as stored and as published on JetStream. */
export interface EventEnvelope<TData extends object = Record<string, unknown>> {
  id: string;
  type: string;
  stream: string;
  version: number;
  occurred_at: string;
  data: TData;
  meta: EventMeta;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT_TYPE = /^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * Checks an envelope arriving from outside the process (a JetStream message, an NDJSON line).
 * Throws ContractViolation naming every offending field, so a consumer can record the message as
 * malformed instead of crashing on it.
 */
export function parseEventEnvelope(input: unknown): EventEnvelope {
  const problems: string[] = [];
  if (!isPlainObject(input)) throw new ContractViolation('event envelope must be a JSON object');
  if (!isUuid(input.id)) problems.push('id must be a UUID');
  if (typeof input.type !== 'string' || !EVENT_TYPE.test(input.type)) {
    problems.push('type must look like "resource.action"');
  }
  if (typeof input.stream !== 'string' || input.stream.length === 0 || input.stream.length > 200) {
    problems.push('stream must be a non-empty string');
  }
  if (typeof input.version !== 'number' || !Number.isInteger(input.version) || input.version < 0) {
    problems.push('version must be a non-negative integer');
  }
  if (typeof input.occurred_at !== 'string' || Number.isNaN(Date.parse(input.occurred_at))) {
    problems.push('occurred_at must be an RFC 3339 timestamp');
  }
  if (!isPlainObject(input.data)) problems.push('data must be an object');
  const meta = input.meta;
  if (!isPlainObject(meta)) {
    problems.push('meta must be an object');
  } else {
    if (typeof meta.request_id !== 'string') problems.push('meta.request_id must be a string');
    if (meta.account_id !== null && !isUuid(meta.account_id)) {
      problems.push('meta.account_id must be a UUID or null');
    }
    if (meta.key_id !== undefined && !isUuid(meta.key_id)) problems.push('meta.key_id must be a UUID');
    if (meta.client_id !== undefined && !isUuid(meta.client_id)) problems.push('meta.client_id must be a UUID');
    for (const field of ['ip', 'user_agent'] as const) {
      if (meta[field] !== undefined && typeof meta[field] !== 'string') {
        problems.push(`meta.${field} must be a string`);
      }
    }
  }
  if (problems.length > 0) throw new ContractViolation(`malformed event envelope: ${problems.join('; ')}`);
  return input as unknown as EventEnvelope;
}

/**
 * Several events of one type in one JetStream message. The gateway publishes its per-request events
 * (`key.used`, `auth.failed`) this way: one message per few milliseconds of traffic instead of one per
 * request, so NATS stores, delivers and has acknowledged far fewer messages. Each event keeps its own
 * id; `batch_id` identifies the message for the consumers' inbox.
 */
export interface EventBatch {
  batch_id: string;
  events: EventEnvelope[];
}

/** What one JetStream message carries: an id to de-duplicate deliveries by, and its events in order. */
export interface EventMessage {
  /** The event's id for a single event, the `batch_id` for a batch. */
  id: string;
  events: EventEnvelope[];
}

/** Largest number of events one batch message may carry (the publisher also caps its byte size). */
export const MAX_EVENTS_PER_BATCH = 1_000;

/**
 * Reads a JetStream message's body: a single envelope, or an {@link EventBatch} whose events all have
 * the batch's subject type. Throws ContractViolation (the whole message is malformed) otherwise.
 */
export function parseEventMessage(input: unknown): EventMessage {
  if (!isPlainObject(input) || !('events' in input)) {
    const event = parseEventEnvelope(input);
    return { id: event.id, events: [event] };
  }
  if (!isUuid(input.batch_id)) throw new ContractViolation('malformed event batch: batch_id must be a UUID');
  const events = input.events;
  if (!Array.isArray(events) || events.length === 0 || events.length > MAX_EVENTS_PER_BATCH) {
    throw new ContractViolation(`malformed event batch: events must hold 1 to ${MAX_EVENTS_PER_BATCH} envelopes`);
  }
  return {
    id: input.batch_id,
    events: events.map((event, index) => {
      try {
        return parseEventEnvelope(event);
      } catch (error) {
        throw new ContractViolation(`malformed event batch: events[${index}]: ${(error as Error).message}`);
      }
    }),
  };
}
