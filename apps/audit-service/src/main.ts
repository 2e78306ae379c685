import { ServiceEnv } from '#common';
import { runService } from '#runtime';
import { startAuditIngest } from './audit-log/audit-ingest';
import { AuditServiceMigrations } from './migrations';

void runService({
  name: 'audit-service',
  env: ServiceEnv,
  migrations: AuditServiceMigrations,
  afterStart: (context) => startAuditIngest(context),
});
