import { CreateAuditLog1764140100000 } from './1764140100000-create-audit-log';

/** This service's own schema changes, in order, after the event store's. */
export const AuditServiceMigrations: Function[] = [CreateAuditLog1764140100000];
