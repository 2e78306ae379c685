import { Module } from '@nestjs/common';
import { AuditLogHandler } from './audit-log/audit-log.handler';

@Module({ controllers: [AuditLogHandler] })
export class AuditServiceModule {}
