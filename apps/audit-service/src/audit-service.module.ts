import { Logger, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NatsConnectionHolder } from '#messaging';
import { AuditLogHandler } from './audit-log/audit-log.handler';
import { AlertsHandler } from './detector/alerts.handler';
import { DetectorRunner } from './detector/detector-runner';

@Module({
  controllers: [AuditLogHandler, AlertsHandler],
  providers: [
    {
      provide: DetectorRunner,
      inject: [DataSource, NatsConnectionHolder],
      useFactory: (dataSource: DataSource, nats: NatsConnectionHolder) =>
        new DetectorRunner(dataSource, nats, new Logger('DetectorRunner')),
    },
  ],
})
export class AuditServiceModule {}
