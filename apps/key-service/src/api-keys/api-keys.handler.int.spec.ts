import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { RpcErrorCode } from '#contracts';
import { NatsConnectionHolder } from '#messaging';
import { toRpcErrorBody } from '#runtime';
import { createMigratedDataSource } from '../../../../test/support/test-database';
import { type TestNatsServer, startNatsServer } from '../../../../test/support/nats-server';
import { AccountsRepository } from '../accounts/accounts.repository';
import { KeyServiceMigrations } from '../migrations';
import { InvalidationPublisher } from '../shared/invalidation.publisher';
import { KeyStore } from '../shared/key-store';
import { ApiKeysHandler } from './api-keys.handler';
import { ApiKeysRepository } from './api-keys.repository';

/** Holds every `load` until `size` of them have read: both writers decide on the same version. */
class KeyStoreWithBarrier extends KeyStore {
  private waiting: (() => void)[] = [];
  barrierSize = 0;

  override async load<E, S>(
    streamId: string,
    fold: (events: E[]) => S | null,
    manager?: EntityManager,
  ): Promise<S | null> {
    const state = await super.load(streamId, fold, manager);
    if (this.barrierSize > 0) {
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        if (this.waiting.length >= this.barrierSize) {
          this.barrierSize = 0;
          for (const release of this.waiting.splice(0)) release();
        }
      });
    }
    return state;
  }
}

describe('ApiKeysHandler: concurrent changes of one key (PostgreSQL + NATS)', () => {
  let nats: TestNatsServer;
  let connection: NatsConnectionHolder;
  let dataSource: DataSource;
  let close: () => Promise<void>;
  let store: KeyStoreWithBarrier;
  let sut: ApiKeysHandler;
  const meta = { request_id: 'concurrency-test' };

  beforeAll(async () => {
    nats = await startNatsServer();
    connection = await NatsConnectionHolder.connect({ servers: nats.url, name: 'handler-test' });
    ({ dataSource, close } = await createMigratedDataSource('key_handler', KeyServiceMigrations));
    store = new KeyStoreWithBarrier(dataSource, () => new Date());
    sut = new ApiKeysHandler(
      store,
      new ApiKeysRepository(dataSource),
      new AccountsRepository(dataSource),
      new InvalidationPublisher(connection),
    );
  });
  afterAll(async () => {
    await connection.close();
    await nats.stop();
    await close();
  });

  it('lets one of two changes decided on the same version win; the other fails with VERSION_CONFLICT', async () => {
    const accountId = randomUUID();
    await store.append(
      `account-${accountId}`,
      [
        {
          type: 'account.created',
          data: { account_id: accountId, email: `${accountId}@example.com`, name: 'A', tier: 'free' },
        },
      ],
      'no_stream',
      { request_id: 'setup', account_id: accountId },
    );
    const created = await sut.create({
      account_id: accountId,
      name: 'shared',
      integrations: ['cli'],
      key_hash: 'a'.repeat(64),
      key_prefix: 'vxk_aaaaaaaa',
      meta,
    });

    store.barrierSize = 2;
    const outcomes = await Promise.allSettled([
      sut.update({ account_id: accountId, key_id: created.id, name: 'first', meta }),
      sut.update({ account_id: accountId, key_id: created.id, integrations: ['ai_tools'], meta }),
    ]);

    const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(toRpcErrorBody(rejected[0].reason).code).toBe(RpcErrorCode.VersionConflict);
    const events = await store.events.readStream(`api_key-${created.id}`);
    expect(events.map((e) => e.version)).toEqual([1, 2]);
  });
});
