import { runService } from '#runtime';
import { startAuditIngest } from './audit-log/audit-ingest';
import { AuditPartitions } from './audit-log/audit-partitions';
import { AuditServiceEnv } from './audit-service.env';
import { AuditServiceModule } from './audit-service.module';
import { AutoRevocationRetries } from './detector/auto-revocations';
import { DetectorRunner } from './detector/detector-runner';
import { WebhookDispatcher } from './detector/webhooks';
import { AuditServiceMigrations } from './migrations';

void runService({
  name: 'audit-service',
  env: AuditServiceEnv,
  migrations: AuditServiceMigrations,
  imports: () => [AuditServiceModule],
  afterStart: async (context, app) => {
    const partitions = new AuditPartitions(context.dataSource, context.config.AUDIT_RETENTION_DAYS, context.logger);
    // Partitions first, so that ingest fills monthly partitions rather than the default one.
    await partitions.maintain();
    partitions.start();
    const detector = app.get(DetectorRunner);
    await detector.start();
    const webhooks = new WebhookDispatcher(
      context.dataSource,
      context.logger,
      context.config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    );
    webhooks.start();
    const revocations = new AutoRevocationRetries(context.dataSource, context.nats, context.logger);
    revocations.start();
    return [partitions, detector, webhooks, revocations, ...(await startAuditIngest(context))];
  },
});
