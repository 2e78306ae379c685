import type { LoggerService } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { deleteInBatches } from './database';
import { PeriodicSweep } from './periodic-sweep';

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

/** Keeps every consumer's inbox to its retention: a minute after start, then hourly. */
export function inboxSweeper(dataSource: DataSource, logger: LoggerService): PeriodicSweep {
  return new PeriodicSweep('the consumer inbox', () => sweepInbox(dataSource.manager), logger, {
    everyMs: SWEEP_EVERY_MS,
    firstAfterMs: FIRST_SWEEP_AFTER_MS,
  });
}
