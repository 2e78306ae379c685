import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { PeriodicSweep, deleteInBatches } from '#event-store';

/** Hours of the ledger kept: the current one is all the gateways read; the day before stays for a look back. */
const LEDGER_KEPT_HOURS = 48;
const SWEEP_EVERY_MS = 60 * 60_000;

/** Deletes the ledger's rows of hours older than `keptHours` before the current one. Returns how many. */
export function sweepRateLimitLedger(
  manager: EntityManager,
  now: Date = new Date(),
  keptHours = LEDGER_KEPT_HOURS,
): Promise<number> {
  return deleteInBatches(manager, {
    table: 'rate_limit_ledger',
    where: 'hour < $1',
    orderBy: 'hour',
    params: [Math.floor(now.getTime() / 3_600_000) - keptHours],
  });
}

/** Keeps `rate_limit_ledger` (a row per account, hour and gateway instance) to its last two days. */
@Injectable()
export class RateLimitLedgerSweeper implements OnModuleDestroy {
  private readonly sweep: PeriodicSweep;

  constructor(dataSource: DataSource) {
    this.sweep = new PeriodicSweep(
      'the rate-limit ledger',
      () => sweepRateLimitLedger(dataSource.manager),
      new Logger(RateLimitLedgerSweeper.name),
      { everyMs: SWEEP_EVERY_MS, firstAfterMs: SWEEP_EVERY_MS },
    );
    this.sweep.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.sweep.stop();
  }
}
