import { DataSource, type MixedList } from 'typeorm';
import type { ReadinessCheck } from '#common';
import { CreateEventStore1764140000000 } from './migrations/1764140000000-create-event-store';

export interface ServiceDatabaseOptions {
  url: string;
  /** The service's own migrations; the event store's come first. */
  migrations: MixedList<Function>;
  applicationName: string;
  poolSize?: number;
}

/** A service's PostgreSQL database: event store + its read models, migrated at start. */
export function createServiceDataSource(options: ServiceDatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    applicationName: options.applicationName,
    migrations: [CreateEventStore1764140000000, ...(options.migrations as Function[])],
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: options.poolSize ?? 10, connectionTimeoutMillis: 5_000 },
  });
}

export class DatabaseReadiness implements ReadinessCheck {
  readonly name = 'database';
  constructor(private readonly dataSource: DataSource) {}

  async check(): Promise<void> {
    if (!this.dataSource.isInitialized) throw new Error('not connected');
    await this.dataSource.query('SELECT 1');
  }
}
