import { ServiceEnv } from '#common';
import { runService } from '#runtime';
import { KeyServiceMigrations } from './migrations';

void runService({
  name: 'key-service',
  env: ServiceEnv,
  migrations: KeyServiceMigrations,
});
