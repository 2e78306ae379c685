import { type Actor, DomainError, RpcErrorCode } from '#contracts';
import {
  type ContentEvent,
  type ContentState,
  contentStream,
  decideDelete,
  decideRestore,
  decideUpdate,
  evolve,
  fold,
  type RecordedContentEvent,
  versionsOf,
} from './content-resource';

type MemoryFields = {
  text: string;
  title?: string;
  status: string;
  labels: string[];
  metadata: Record<string, unknown>;
};

const ID = '0b7d8f5e-3c1a-4c2b-9d6e-5f4a3b2c1d0e';
const session: Actor = { type: 'session' };
const viaKey: Actor = { type: 'api_key', key_id: 'k-1' };

const initial: MemoryFields = {
  text: 'first text',
  title: 'First',
  status: 'active',
  labels: ['a', 'b'],
  metadata: { team: 'core', tags: ['x'] },
};

let clock = 0;
function at(): string {
  clock += 1;
  return new Date(Date.UTC(2026, 0, 1, 0, 0, clock)).toISOString();
}

function recorded(event: ContentEvent<MemoryFields>, actor: Actor = session): RecordedContentEvent<MemoryFields> {
  return { event, occurredAt: at(), actor };
}

const created = (fields: MemoryFields = initial) => recorded({ type: 'memory.created', data: { id: ID, fields } });
const updated = (changes: Partial<MemoryFields>, actor?: Actor) =>
  recorded({ type: 'memory.updated', data: { changes } }, actor);
const restored = (fromVersion: number, fields: MemoryFields) =>
  recorded({ type: 'memory.restored', data: { from_version: fromVersion, fields } });
const deleted = () => recorded({ type: 'memory.deleted', data: {} });

function stateOf(events: RecordedContentEvent<MemoryFields>[]): ContentState<MemoryFields> {
  const state = fold(events);
  if (!state) throw new Error('expected a state');
  return state;
}

function domainErrorOf(act: () => unknown): DomainError {
  try {
    act();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw new Error(`expected a DomainError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

describe('contentStream', () => {
  it('names the stream after the kind and id', () => {
    expect(contentStream('memory', ID)).toBe(`memory-${ID}`);
  });
});

describe('evolve and fold', () => {
  it('has no state before any event', () => {
    expect(fold<MemoryFields>([])).toBeNull();
  });

  it('starts a resource at version 1 with its fields on created', () => {
    const event = created();
    const sut = evolve(null, event);
    expect(sut).toEqual({
      id: ID,
      fields: initial,
      version: 1,
      deleted: false,
      createdAt: event.occurredAt,
      updatedAt: event.occurredAt,
    });
  });

  it('merges the changes of an update and bumps the version', () => {
    const first = created();
    const second = updated({ text: 'second text', labels: ['c'] });
    const sut = stateOf([first, second]);
    expect(sut.fields).toEqual({ ...initial, text: 'second text', labels: ['c'] });
    expect(sut.version).toBe(2);
    expect(sut.createdAt).toBe(first.occurredAt);
    expect(sut.updatedAt).toBe(second.occurredAt);
  });

  it('replaces every field on restored', () => {
    const target: MemoryFields = { text: 'old', status: 'draft', labels: [], metadata: {} };
    const sut = stateOf([created(), updated({ title: 'Changed' }), restored(1, target)]);
    expect(sut.fields).toEqual(target);
    expect(sut.fields).not.toHaveProperty('title');
    expect(sut.version).toBe(3);
  });

  it('marks the resource deleted and bumps the version on deleted', () => {
    const sut = stateOf([created(), deleted()]);
    expect(sut.deleted).toBe(true);
    expect(sut.version).toBe(2);
    expect(sut.fields).toEqual(initial);
  });

  it('refuses an event before the resource was created', () => {
    expect(() => fold([updated({ text: 'x' })])).toThrow(/before the resource was created/);
  });
});

describe('versionsOf', () => {
  it('lists the state after each event with its time and actor', () => {
    const events = [created(), updated({ text: 'v2' }, viaKey), updated({ status: 'archived' })];
    const sut = versionsOf(events);
    expect(sut).toEqual([
      { version: 1, fields: initial, created_at: events[0].occurredAt, actor: session },
      { version: 2, fields: { ...initial, text: 'v2' }, created_at: events[1].occurredAt, actor: viaKey },
      {
        version: 3,
        fields: { ...initial, text: 'v2', status: 'archived' },
        created_at: events[2].occurredAt,
        actor: session,
      },
    ]);
  });

  it('leaves out the deletion', () => {
    const sut = versionsOf([created(), updated({ text: 'v2' }), deleted()]);
    expect(sut.map((version) => version.version)).toEqual([1, 2]);
  });

  it('lists a restore as a new version', () => {
    const sut = versionsOf([created(), updated({ text: 'v2' }), restored(1, initial)]);
    expect(sut.map((version) => [version.version, version.fields.text])).toEqual([
      [1, 'first text'],
      [2, 'v2'],
      [3, 'first text'],
    ]);
  });
});

describe('decideUpdate', () => {
  const state = () => stateOf([created(), updated({ text: 'v2' })]);

  it('emits only the fields that change', () => {
    const sut = decideUpdate('memory', state(), { text: 'v3', title: 'First', status: 'active' });
    expect(sut).toEqual([{ type: 'memory.updated', data: { changes: { text: 'v3' } } }]);
  });

  it('emits nothing when nothing changes', () => {
    expect(decideUpdate('memory', state(), { text: 'v2', labels: ['a', 'b'] })).toEqual([]);
  });

  it('emits nothing for an empty change set', () => {
    expect(decideUpdate('memory', state(), {})).toEqual([]);
  });

  it('ignores undefined values', () => {
    expect(decideUpdate('memory', state(), { title: undefined, text: undefined })).toEqual([]);
    expect(decideUpdate('memory', state(), { title: undefined, text: 'v3' })).toEqual([
      { type: 'memory.updated', data: { changes: { text: 'v3' } } },
    ]);
  });

  it.each([
    ['an equal array', { labels: ['a', 'b'] }],
    ['an equal object', { metadata: { team: 'core', tags: ['x'] } }],
  ])('compares %s by value', (_, changes: Partial<MemoryFields>) => {
    expect(decideUpdate('memory', state(), changes)).toEqual([]);
  });

  it('treats an object with the same entries in another key order as unchanged', () => {
    expect(decideUpdate('memory', state(), { metadata: { tags: ['x'], team: 'core' } })).toEqual([]);
  });

  it.each([
    ['a reordered array', { labels: ['b', 'a'] }],
    ['a shorter array', { labels: ['a'] }],
    ['an object with another value', { metadata: { team: 'core', tags: ['y'] } }],
    ['an object with one more key', { metadata: { team: 'core', tags: ['x'], env: 'prod' } }],
  ])('emits %s as a change', (_, changes: Partial<MemoryFields>) => {
    expect(decideUpdate('memory', state(), changes)).toEqual([{ type: 'memory.updated', data: { changes } }]);
  });

  it('refuses a mismatching expected_version with VERSION_CONFLICT', () => {
    const error = domainErrorOf(() => decideUpdate('memory', state(), { text: 'v3' }, 1));
    expect(error.code).toBe(RpcErrorCode.VersionConflict);
  });

  it('refuses a mismatching expected_version even when nothing would change', () => {
    const error = domainErrorOf(() => decideUpdate('memory', state(), { text: 'v2' }, 3));
    expect(error.code).toBe(RpcErrorCode.VersionConflict);
  });

  it('accepts a matching expected_version', () => {
    expect(decideUpdate('memory', state(), { text: 'v3' }, 2)).toEqual([
      { type: 'memory.updated', data: { changes: { text: 'v3' } } },
    ]);
  });
});

describe('decideRestore', () => {
  const history = () => [
    created(),
    updated({ text: 'v2', labels: ['c'] }),
    updated({ title: 'Third', metadata: { team: 'web' } }),
  ];
  /** The state after the n-th event, as the store reads it (null past the end). */
  const atVersion = (events: RecordedContentEvent<MemoryFields>[], n: number) =>
    n >= 1 && n <= events.length ? fold(events.slice(0, n)) : null;

  it.each([1, 2, 3])('restores version %i with exactly its fields', (n) => {
    const events = history();
    const expected = versionsOf(events)[n - 1].fields;
    const sut = decideRestore('memory', atVersion(events, n), n);
    expect(sut).toEqual([{ type: 'memory.restored', data: { from_version: n, fields: expected } }]);
  });

  it('leads to a new version whose content equals the restored one', () => {
    const events = history();
    const [event] = decideRestore('memory', atVersion(events, 1), 1);
    const after = stateOf([...events, recorded(event)]);
    expect(after.version).toBe(4);
    expect(after.fields).toEqual(initial);
  });

  it('restores a version that was itself a restore', () => {
    const events = [...history(), restored(1, initial), updated({ text: 'v5' })];
    const sut = decideRestore('memory', atVersion(events, 4), 4);
    expect(sut).toEqual([{ type: 'memory.restored', data: { from_version: 4, fields: initial } }]);
  });

  it.each([0, -1, 4, 99])('refuses version %p with RESOURCE_NOT_FOUND', (n) => {
    const error = domainErrorOf(() => decideRestore('memory', atVersion(history(), n), n));
    expect(error.code).toBe(RpcErrorCode.ResourceNotFound);
  });

  it('refuses a delete, which is no version, and a state of another version', () => {
    const events = [...history(), deleted()];
    expect(domainErrorOf(() => decideRestore('memory', atVersion(events, 4), 4)).code).toBe(
      RpcErrorCode.ResourceNotFound,
    );
    expect(domainErrorOf(() => decideRestore('memory', atVersion(events, 2), 3)).code).toBe(
      RpcErrorCode.ResourceNotFound,
    );
  });
});

describe('folding onto a snapshot', () => {
  const events = () => [
    created(),
    updated({ text: 'v2' }),
    deleted(),
    restored(2, { ...initial, text: 'v2' }),
    updated({ labels: ['z'] }),
  ];

  it.each([1, 2, 3, 4])('gives the same state and versions from the state after event %i', (n) => {
    const all = events();
    const start = fold(all.slice(0, n));
    expect(fold(all.slice(n), start)).toEqual(fold(all));
    expect(versionsOf(all.slice(n), start)).toEqual(versionsOf(all).filter((version) => version.version > n));
  });
});

describe('decideDelete', () => {
  it('emits a deletion for a live resource', () => {
    expect(decideDelete('memory', stateOf([created()]))).toEqual([{ type: 'memory.deleted', data: {} }]);
  });

  it('emits nothing for a resource already deleted', () => {
    expect(decideDelete('memory', stateOf([created(), deleted()]))).toEqual([]);
  });
});
