import { DataSource, type MixedList } from 'typeorm';
import type { Pool } from 'pg';
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

/**
 * A read outside any transaction, as a named prepared statement: PostgreSQL parses and plans it once
 * per pooled connection instead of on every call. For the hot reads of a request path (a resource by
 * id, a key by hash). `name` must always go with the same `text`.
 */
export async function preparedQuery<Row extends object = Record<string, unknown>>(
  dataSource: DataSource,
  name: string,
  text: string,
  values: unknown[],
): Promise<Row[]> {
  // TypeORM's Postgres driver keeps the pg Pool it queries through as `master`.
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  const result = await pool.query<Row>({ name, text, values });
  return result.rows;
}
