import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataSource, type EntityManager, type MixedList } from 'typeorm';
import { Client, type Pool, type PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ReadinessCheck } from '#common';
import { CreateEventStore1764140000000 } from './migrations/1764140000000-create-event-store';

export interface ServiceDatabaseOptions {
  url: string;
  /** The service's own migrations; the event store's come first. */
  migrations: MixedList<Function>;
  applicationName: string;
  poolSize?: number;
}

const SERVER_SESSION_OPTIONS = [
  '-c tcp_keepalives_idle=20',
  '-c tcp_keepalives_interval=5',
  '-c tcp_keepalives_count=3',
  '-c idle_in_transaction_session_timeout=60000',
  // Day buckets (generate_series by '1 day', date_trunc) and json timestamps are UTC, whatever the server's zone.
  '-c TimeZone=UTC',
].join(' ');

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
    extra: {
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      // On the server's side of each connection: a client whose machine or network died sends no FIN, and
      // its session (with its locks, such as a detector transaction's) would otherwise stay for hours.
      // Keepalives end it within about 40 s; a transaction left idle for a minute is ended too.
      options: SERVER_SESSION_OPTIONS,
    },
  });
}

/** A readiness query that has not answered by then has failed, and its connection is replaced. */
const READINESS_QUERY_TIMEOUT_MS = 1_000;

/**
 * Ready while PostgreSQL answers `SELECT 1` on a connection of its own. Through the pool, the check would
 * queue behind the requests of a busy service whose connections are all in use, and report a loaded
 * service as down: the gateway's /readyz would then take a gateway out of service under load.
 */
export class DatabaseReadiness implements ReadinessCheck {
  readonly name = 'database';
  private connection?: Promise<Client>;

  constructor(private readonly dataSource: DataSource) {}

  async check(): Promise<void> {
    if (!this.dataSource.isInitialized) throw new Error('not connected');
    const connection = (this.connection ??= this.connect());
    try {
      await (await connection).query('SELECT 1');
    } catch (error) {
      this.forget(connection);
      throw error;
    }
  }

  /** Ends the connection (at shutdown). */
  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await connection?.then((client) => client.end()).catch(() => undefined);
  }

  private connect(): Promise<Client> {
    // What createServiceDataSource set: the service's URL and name.
    const options = this.dataSource.options as { url?: string; applicationName?: string };
    const client = new Client({
      connectionString: options.url,
      application_name: `${options.applicationName ?? 'service'}-readiness`,
      connectionTimeoutMillis: READINESS_QUERY_TIMEOUT_MS,
      query_timeout: READINESS_QUERY_TIMEOUT_MS,
      keepAlive: true,
    });
    const connection = client.connect().then(() => client);
    // A connection the server drops while idle reports it here, and the next check opens another (the
    // same promise as `this.connection`, which `forget` compares with).
    client.on('error', () => this.forget(connection));
    return connection;
  }

  private forget(connection: Promise<Client>): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    void connection.then((client) => client.end()).catch(() => undefined);
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

/**
 * One value in COPY's text format: `\N` for null, JSON for a JSON column (whatever the value, so the
 * string "GB" stays a JSON string), ISO 8601 for a Date, with COPY's separators escaped.
 */
function copyText(value: unknown, json: boolean): string {
  if (value === null || value === undefined) return '\\N';
  const text = json
    ? JSON.stringify(value)
    : value instanceof Date
      ? value.toISOString()
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  return /[\\\n\r\t]/.test(text) ? text.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]) : text;
}
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Appends rows with `COPY … FROM STDIN`, in the caller's transaction: for bulk inserts, PostgreSQL
 * parses one stream instead of a statement, which costs it about a third less per row than
 * INSERT … SELECT. `jsonColumns` names the json/jsonb columns. COPY has no ON CONFLICT: a duplicate
 * key fails the statement (SQLSTATE 23505), so callers that can meet one run it inside a savepoint and
 * fall back to an idempotent INSERT.
 */
export async function copyRows<Row extends object>(
  manager: EntityManager,
  table: string,
  columns: readonly (keyof Row & string)[],
  rows: readonly Row[],
  jsonColumns: readonly (keyof Row & string)[] = [],
): Promise<void> {
  if (rows.length === 0) return;
  if (!manager.queryRunner?.isTransactionActive) throw new Error('copyRows needs a transaction');
  // TypeORM's Postgres query runner holds the pg client of its transaction.
  const client = (await manager.queryRunner.connect()) as PoolClient;
  const json = columns.map((column) => jsonColumns.includes(column));
  const text =
    rows.map((row) => columns.map((column, index) => copyText(row[column], json[index])).join('\t')).join('\n') + '\n';
  await pipeline(Readable.from([text]), client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)));
}

/**
 * Deletes the rows of `table` that `where` selects, oldest first by `orderBy` (an indexed column), `batch` at a time
 * so that no statement holds many locks or one long transaction; the sweeps of expiring rows use it. `where` takes
 * `params` as $1…; the batch size is the next parameter. Returns how many rows went. `keepGoing` is asked after each
 * batch: a stopping service ends a long backlog there (the rest goes on the next run).
 */
export async function deleteInBatches(
  manager: EntityManager,
  sweep: { table: string; where: string; orderBy: string; params: unknown[] },
  batch = 5_000,
  keepGoing: () => boolean = () => true,
): Promise<number> {
  const limit = `$${sweep.params.length + 1}`;
  let removed = 0;
  for (;;) {
    // Counted in a SELECT: TypeORM answers a bare DELETE … RETURNING with [rows, count], not the rows.
    const [{ count }] = (await manager.query(
      `WITH deleted AS (
         DELETE FROM ${sweep.table} WHERE ctid IN (
           SELECT ctid FROM ${sweep.table} WHERE ${sweep.where} ORDER BY ${sweep.orderBy} LIMIT ${limit})
         RETURNING 1)
       SELECT count(*)::int AS count FROM deleted`,
      [...sweep.params, batch],
    )) as { count: number }[];
    removed += count;
    if (count < batch || !keepGoing()) return removed;
  }
}
