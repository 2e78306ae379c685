import { STREAMS } from '#contracts';
import { ServiceEnv } from '#common';
import { IdempotentConsumer } from '#event-store';
import { runService } from '#runtime';
import { ApiKeysRepository } from './api-keys/api-keys.repository';
import { KeyScheduler } from './api-keys/key-scheduler';
import { KeyServiceModule } from './key-service.module';
import { KeyServiceMigrations } from './migrations';
import { InvalidationPublisher } from './shared/invalidation.publisher';
import { KeyStore } from './shared/key-store';
import { foldUsage } from './usage/usage-fold';

void runService({
  name: 'key-service',
  env: ServiceEnv,
  migrations: KeyServiceMigrations,
  imports: () => [KeyServiceModule],
  afterStart: async (context, app) => {
    const scheduler = new KeyScheduler(
      app.get(KeyStore),
      app.get(ApiKeysRepository),
      app.get(InvalidationPublisher),
      context.logger,
    );
    scheduler.start();
    // key.used / auth.failed → request_count, last_used_*, usage buckets; batched, idempotent on event id.
    const usage = new IdempotentConsumer(context.nats, context.dataSource, context.logger, {
      durable: 'key-service-usage',
      stream: STREAMS.auth.name,
      batchSize: 1_000,
      lingerMs: 200,
      handle: foldUsage,
    });
    await usage.start();
    return [scheduler, usage];
  },
});
