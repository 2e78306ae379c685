import { ServiceEnv } from '#common';
import { runService } from '#runtime';
import { ApiKeysRepository } from './api-keys/api-keys.repository';
import { KeyScheduler } from './api-keys/key-scheduler';
import { KeyServiceModule } from './key-service.module';
import { KeyServiceMigrations } from './migrations';
import { InvalidationPublisher } from './shared/invalidation.publisher';
import { KeyStore } from './shared/key-store';

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
    return [scheduler];
  },
});
