import type { LoggerService } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { deleteInBatches } from './database';

/**
 * How long a consumer remembers a handled message (es_consumer_inbox). A message is redelivered only while it is
 * not acknowledged (30 s at a time) or when the outbox publishes it again after a crash (at once), so a week
 * leaves a wide margin; only a durable consumer re-created from the start of its stream would see older ones.
 */
export const INBOX_RETENTION_DAYS = 7;
const SWEEP_EVERY_MS = 60 * 60_000;
const FIRST_SWEEP_AFTER_MS = 60_000;

/** Forgets inbox rows older than the retention, oldest first, in batches (the `processed_at` index). Returns how many. */
export function sweepInbox(
  manager: EntityManager,
  retentionDays = INBOX_RETENTION_DAYS,
  batch = 5_000,
): Promise<number> {
  return deleteInBatches(
    manager,
    {
      table: 'es_consumer_inbox',
      where: 'processed_at < now() - make_interval(days => $1)',
      orderBy: 'processed_at',
      params: [retentionDays],
    },
    batch,
  );
}

/** Keeps every consumer's inbox to its retention: a minute after start, then hourly. Replicas may sweep together. */
export class InboxSweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: LoggerService,
  ) {}

  start(): void {
    const sweep = (): void => {
      this.running = sweepInbox(this.dataSource.manager)
        .catch((error: unknown) =>
          this.logger.warn({ msg: 'could not sweep the consumer inbox', error: String(error) }, 'InboxSweeper'),
        )
        .finally(() => {
          if (this.timer) this.timer = setTimeout(sweep, SWEEP_EVERY_MS).unref();
        });
    };
    this.timer = setTimeout(sweep, FIRST_SWEEP_AFTER_MS).unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
