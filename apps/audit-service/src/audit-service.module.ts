import { Logger, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NatsConnectionHolder } from '#messaging';
import { SERVICE_CONFIG } from '#runtime';
import type { AuditServiceEnv } from './audit-service.env';
import { AppUsageHandler } from './audit-log/app-usage.handler';
import { AuditLogHandler } from './audit-log/audit-log.handler';
import { ALLOW_PRIVATE_WEBHOOKS, AlertsHandler } from './detector/alerts.handler';
import { detectorConfig } from './detector/detector';
import { DetectorRunner } from './detector/detector-runner';

@Module({
  controllers: [AuditLogHandler, AppUsageHandler, AlertsHandler],
  providers: [
    {
      provide: ALLOW_PRIVATE_WEBHOOKS,
      inject: [SERVICE_CONFIG],
      useFactory: (config: AuditServiceEnv) => config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    },
    {
      provide: DetectorRunner,
      inject: [DataSource, NatsConnectionHolder, SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, nats: NatsConnectionHolder, config: AuditServiceEnv) =>
        new DetectorRunner(dataSource, nats, new Logger('DetectorRunner'), detectorConfig(config.DETECTOR_CONFIG)),
    },
  ],
})
export class AuditServiceModule {}
