import { ServiceEnv } from '#common';
import { runService } from '#runtime';
import { ContentServiceMigrations } from './migrations';

void runService({
  name: 'content-service',
  env: ServiceEnv,
  migrations: ContentServiceMigrations,
});
