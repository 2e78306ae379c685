import { isDeepStrictEqual } from 'node:util';
import { type Actor, type ContentKind, RpcErrorCode } from '#contracts';
import { DomainError } from '#contracts';

/**
 * The one aggregate shape shared by prompts, artifacts and memories: a snapshot of fields changed by
 * events. Versions are the states after each event. Pure: no I/O, time comes with the events.
 */
export type Fields = Record<string, unknown>;

export type ContentEvent<F extends Fields> =
  | { type: `${ContentKind}.created`; data: { id: string; fields: F } }
  | { type: `${ContentKind}.updated`; data: { changes: Partial<F> } }
  | { type: `${ContentKind}.restored`; data: { from_version: number; fields: F } }
  | { type: `${ContentKind}.deleted`; data: Record<string, never> };

/** An event as it was stored, with what versions need to show. */
export interface RecordedContentEvent<F extends Fields> {
  event: ContentEvent<F>;
  occurredAt: string;
  actor: Actor;
}

export interface ContentState<F extends Fields> {
  id: string;
  fields: F;
  version: number;
  deleted: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ContentVersion<F extends Fields> {
  version: number;
  fields: F;
  created_at: string;
  actor: Actor;
}

export function contentStream(kind: ContentKind, id: string): string {
  return `${kind}-${id}`;
}

function suffix(type: string): string {
  return type.slice(type.indexOf('.') + 1);
}

export function evolve<F extends Fields>(
  state: ContentState<F> | null,
  recorded: RecordedContentEvent<F>,
): ContentState<F> {
  const { event, occurredAt } = recorded;
  const kind = suffix(event.type);
  if (kind === 'created') {
    const data = event.data as { id: string; fields: F };
    return {
      id: data.id,
      fields: data.fields,
      version: 1,
      deleted: false,
      createdAt: occurredAt,
      updatedAt: occurredAt,
    };
  }
  if (!state) throw new Error(`${event.type} before the resource was created`);
  const next = { ...state, version: state.version + 1, updatedAt: occurredAt };
  switch (kind) {
    case 'updated':
      return { ...next, fields: { ...state.fields, ...(event.data as { changes: Partial<F> }).changes } };
    case 'restored':
      return { ...next, fields: (event.data as { fields: F }).fields, deleted: false };
    case 'deleted':
      return { ...next, deleted: true };
    default:
      throw new Error(`unknown content event ${event.type}`);
  }
}

/** The state after the events, folded onto `start` (a snapshot's state, or nothing before the first event). */
export function fold<F extends Fields>(
  events: RecordedContentEvent<F>[],
  start: ContentState<F> | null = null,
): ContentState<F> | null {
  return events.reduce<ContentState<F> | null>(evolve, start);
}

/** Every version in order: the state after each event that left the resource in place (folded onto `start`). */
export function versionsOf<F extends Fields>(
  events: RecordedContentEvent<F>[],
  start: ContentState<F> | null = null,
): ContentVersion<F>[] {
  const versions: ContentVersion<F>[] = [];
  let state = start;
  for (const recorded of events) {
    state = evolve(state, recorded);
    const version = versionAfter(state, recorded);
    if (version) versions.push(version);
  }
  return versions;
}

/** The version an event left, with when and by whom; none when it deleted the resource. */
export function versionAfter<F extends Fields>(
  state: ContentState<F>,
  recorded: RecordedContentEvent<F>,
): ContentVersion<F> | undefined {
  if (state.deleted) return undefined;
  return { version: state.version, fields: state.fields, created_at: recorded.occurredAt, actor: recorded.actor };
}

/** By value, whatever the order of object keys (jsonb reorders them); arrays keep their order. */
function sameValue(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}

function requireVersion(state: ContentState<Fields>, expected: number | undefined): void {
  if (expected !== undefined && expected !== state.version) {
    throw new DomainError(
      RpcErrorCode.VersionConflict,
      `the resource is at version ${state.version}, not ${expected}: reload it and retry`,
    );
  }
}

/** A partial update: only fields whose value changes become the event; nothing changed, no event. */
export function decideUpdate<F extends Fields>(
  kind: ContentKind,
  state: ContentState<F>,
  changes: Partial<F>,
  expectedVersion?: number,
): ContentEvent<F>[] {
  requireVersion(state, expectedVersion);
  const changed = Object.fromEntries(
    Object.entries(changes).filter(([field, value]) => value !== undefined && !sameValue(state.fields[field], value)),
  ) as Partial<F>;
  return Object.keys(changed).length === 0 ? [] : [{ type: `${kind}.updated`, data: { changes: changed } }];
}

/**
 * Restoring version n appends a new version whose content equals version n. `atVersion` is the resource's state
 * after its n-th event (null when it has fewer); a delete is no version to restore.
 */
export function decideRestore<F extends Fields>(
  kind: ContentKind,
  atVersion: ContentState<F> | null,
  versionNumber: number,
): ContentEvent<F>[] {
  if (!atVersion || atVersion.version !== versionNumber || atVersion.deleted)
    throw new DomainError(RpcErrorCode.ResourceNotFound, `there is no version ${versionNumber}`);
  return [{ type: `${kind}.restored`, data: { from_version: versionNumber, fields: atVersion.fields } }];
}

export function decideDelete<F extends Fields>(kind: ContentKind, state: ContentState<F>): ContentEvent<F>[] {
  return state.deleted ? [] : [{ type: `${kind}.deleted`, data: {} }];
}
