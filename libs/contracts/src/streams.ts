/**
 * JetStream streams, one per domain (ARCHITECTURE.md, "JetStream"). Each event type belongs to
 * exactly one stream; its subject is `<domain>.events.<event type>`.
 */
export interface StreamDefinition {
  name: string;
  subjectPrefix: string;
  /** Event types (or `prefix.*` families) that live in this stream. */
  eventTypes: readonly string[];
}

export const STREAMS = {
  accounts: {
    name: 'ACCOUNTS',
    subjectPrefix: 'accounts.events',
    eventTypes: ['account.*', 'session.*', 'auth.login_failed', 'oauth.*'],
  },
  keys: {
    name: 'KEYS',
    subjectPrefix: 'keys.events',
    eventTypes: [
      'key.created',
      'key.renamed',
      'key.integrations_changed',
      'key.rotated',
      'key.revoked',
      'key.expired',
      'key.legacy_imported',
    ],
  },
  auth: {
    name: 'AUTH',
    subjectPrefix: 'auth.events',
    // oauth_token.used: an accepted MCP request (PRODUCT.md §14), the OAuth counterpart of key.used.
    eventTypes: ['key.used', 'auth.failed', 'oauth_token.used'],
  },
  content: {
    name: 'CONTENT',
    subjectPrefix: 'content.events',
    eventTypes: ['prompt.*', 'artifact.*', 'memory.*', 'hook.*'],
  },
  alerts: {
    name: 'ALERTS',
    subjectPrefix: 'alerts.events',
    // security_settings.changed: the account's detection settings, kept by audit-service with its alerts.
    eventTypes: ['alert.*', 'security_settings.*'],
  },
} as const satisfies Record<string, StreamDefinition>;

export type StreamKey = keyof typeof STREAMS;

export const ALL_STREAMS: readonly StreamDefinition[] = Object.values(STREAMS);

/** Where poison messages go once a consumer has given up on them. */
export const DEAD_LETTER_SUBJECT_PREFIX = 'deadletter';

function matches(pattern: string, eventType: string): boolean {
  return pattern.endsWith('.*') ? eventType.startsWith(pattern.slice(0, -1)) : pattern === eventType;
}

export function streamForEventType(eventType: string): StreamDefinition {
  const found = ALL_STREAMS.find((stream) => stream.eventTypes.some((p) => matches(p, eventType)));
  if (!found) throw new Error(`no JetStream stream is defined for event type "${eventType}"`);
  return found;
}

export function subjectForEventType(eventType: string): string {
  return `${streamForEventType(eventType).subjectPrefix}.${eventType}`;
}
