import type { LoggerService } from '@nestjs/common';
import { ConcurrencyError } from '#event-store';
import type { InvalidationPublisher } from '../shared/invalidation.publisher';
import type { KeyStore } from '../shared/key-store';
import type { ApiKeysRepository } from './api-keys.repository';
import type { ApiKeyState } from './domain/api-key';
import { KeyScheduler } from './key-scheduler';

const now = new Date('2026-11-27T12:00:00.000Z');

function dueKey(id: string): ApiKeyState {
  return {
    id,
    accountId: 'account-1',
    name: id,
    integrations: ['cli'],
    status: 'active',
    expiresAt: null,
    replacedBy: 'successor',
    revokeAt: '2026-11-27T11:59:00.000Z',
    version: 2,
  };
}

/** A scheduler over in-memory fakes: `failing` keys' appends throw what is given. */
function scheduler(keyIds: string[], failing: Record<string, Error>) {
  const appended: string[] = [];
  const announced: string[] = [];
  const warnings: unknown[] = [];
  const store = {
    clock: () => now,
    load: async (stream: string) => dueKey(stream.replace('api_key-', '')),
    append: async (stream: string) => {
      const id = stream.replace('api_key-', '');
      if (failing[id]) throw failing[id];
      appended.push(id);
    },
  } as unknown as KeyStore;
  const keys = { due: async () => keyIds } as unknown as ApiKeysRepository;
  const invalidations = {
    publishOrLog: async ({ key_id }: { key_id: string }) => void announced.push(key_id),
  } as unknown as InvalidationPublisher;
  const logger = { warn: (message: unknown) => void warnings.push(message) } as unknown as LoggerService;
  return { sut: new KeyScheduler(store, keys, invalidations, logger), appended, announced, warnings };
}

describe('KeyScheduler.runDue', () => {
  it('revokes every due key and announces each', async () => {
    const { sut, appended, announced } = scheduler(['a', 'b'], {});
    expect(await sut.runDue()).toBe(2);
    expect([appended, announced]).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
  });

  it('goes on past a key whose change fails, logging it for the next tick', async () => {
    const { sut, appended, announced, warnings } = scheduler(['a', 'broken', 'c'], {
      broken: new Error('could not serialize'),
    });
    expect(await sut.runDue()).toBe(2);
    expect([appended, announced]).toEqual([
      ['a', 'c'],
      ['a', 'c'],
    ]);
    expect(warnings).toEqual([expect.objectContaining({ key_id: 'broken', error: 'Error: could not serialize' })]);
  });

  it('skips quietly a key another replica changed first', async () => {
    const { sut, appended, warnings } = scheduler(['raced', 'b'], {
      raced: new ConcurrencyError('api_key-raced', 2, 3),
    });
    expect(await sut.runDue()).toBe(1);
    expect([appended, warnings]).toEqual([['b'], []]);
  });
});
