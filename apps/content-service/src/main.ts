import { ServiceEnv } from '#common';
import { runService } from '#runtime';
import { ContentServiceModule } from './content-service.module';
import { ContentServiceMigrations } from './migrations';

void runService({
  name: 'content-service',
  env: ServiceEnv,
  migrations: ContentServiceMigrations,
  imports: () => [ContentServiceModule],
});
