import { CreateAuditEvents1764140100000 } from './1764140100000-create-audit-events';

/** This service's own schema changes, in order, after the event store's. */
export const AuditServiceMigrations: Function[] = [CreateAuditEvents1764140100000];
