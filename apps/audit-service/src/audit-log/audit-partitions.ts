import type { LoggerService } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { deleteInBatches } from '#event-store';

const DAY_MS = 86_400_000;

function monthStart(date: Date, offset = 0): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + offset, 1));
}

export function partitionName(month: Date): string {
  return `audit_log_y${month.getUTCFullYear()}m${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * Monthly partitions of the audit log: created from last month to two months ahead, and dropped
 * whole once their last day is older than the retention. Rows in the default partition (events older than
 * last month when they were stored, as when a new audit database reads streams that keep more, or a month
 * whose partition could not be created) are deleted one by one past the retention. Runs at start and then daily.
 */
export class AuditPartitions {
  private timer?: NodeJS.Timeout;
  private expiring?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly retentionDays: number,
    private readonly logger: LoggerService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Daily from now on (call `maintain` once first, before ingest starts). The default partition's expired rows are
   * deleted in the background, now and daily: a large backlog must not hold up the start, and a failure is logged
   * and tried again the next day.
   */
  start(): void {
    // One run at a time; stop() waits for the one under way.
    const expire = (): void => {
      this.expiring ??= this.expireDefaultRows()
        .then(() => undefined)
        .catch((error: unknown) =>
          this.logger.warn(
            { msg: 'expired default-partition rows not deleted', error: String(error) },
            'AuditPartitions',
          ),
        )
        .finally(() => (this.expiring = undefined));
    };
    expire();
    this.timer = setInterval(() => {
      this.maintain()
        .catch((error: unknown) =>
          this.logger.warn({ msg: 'audit partition maintenance failed', error: String(error) }, 'AuditPartitions'),
        )
        .then(expire);
    }, DAY_MS);
    this.timer.unref();
  }

  /** Waits for the expiry under way up to the end of its current batch, not for the whole backlog. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.expiring;
  }

  async maintain(): Promise<{ created: string[]; dropped: string[] }> {
    const now = this.now();
    const created: string[] = [];
    for (let offset = -1; offset <= 2; offset += 1) {
      const from = monthStart(now, offset);
      const name = partitionName(from);
      const [{ exists }] = (await this.dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [name])) as {
        exists: boolean;
      }[];
      if (exists) continue;
      try {
        await this.dataSource.query(
          `CREATE TABLE ${name} PARTITION OF audit_log FOR VALUES FROM ('${from.toISOString()}') TO ('${monthStart(now, offset + 1).toISOString()}')`,
        );
        created.push(name);
      } catch (error) {
        // The default partition already holds rows of that month (a replay): they stay there.
        this.logger.warn({ msg: `audit partition ${name} not created`, error: String(error) }, 'AuditPartitions');
      }
    }
    const cutoff = new Date(now.getTime() - this.retentionDays * DAY_MS);
    const partitions = (await this.dataSource.query(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'audit_log'::regclass AND c.relname ~ '^audit_log_y[0-9]{4}m[0-9]{2}$'`,
    )) as { name: string; bound: string }[];
    const dropped: string[] = [];
    for (const partition of partitions) {
      const upper = /TO \('([^']+)'\)/.exec(partition.bound)?.[1];
      if (!upper || Date.parse(upper) > cutoff.getTime()) continue;
      try {
        // IF EXISTS: another replica of audit-service, starting at the same moment, may have dropped it first.
        await this.dataSource.query(`DROP TABLE IF EXISTS ${partition.name}`);
        dropped.push(partition.name);
      } catch (error) {
        this.logger.warn(
          { msg: `audit partition ${partition.name} not dropped`, error: String(error) },
          'AuditPartitions',
        );
      }
    }
    if (created.length || dropped.length)
      this.logger.log({ msg: 'audit partitions maintained', created, dropped }, 'AuditPartitions');
    return { created, dropped };
  }

  /**
   * Deletes the default partition's rows past the retention (indexed by `occurred_at`: a backlog goes batch by
   * batch without a scan of the whole partition each time). Answers how many went.
   */
  async expireDefaultRows(): Promise<number> {
    const cutoff = new Date(this.now().getTime() - this.retentionDays * DAY_MS);
    const expired = await deleteInBatches(
      this.dataSource.manager,
      {
        table: 'audit_log_default',
        where: 'occurred_at < $1',
        orderBy: 'occurred_at',
        params: [cutoff.toISOString()],
      },
      undefined,
      () => !this.stopping,
    );
    if (expired) this.logger.log({ msg: 'expired default-partition rows deleted', count: expired }, 'AuditPartitions');
    return expired;
  }
}
