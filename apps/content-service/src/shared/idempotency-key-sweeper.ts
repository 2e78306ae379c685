import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PeriodicSweep } from '#event-store';
import { sweepExpiredKeys } from './idempotency';

/** How often Idempotency-Keys past their 24 hours are deleted. */
const SWEEP_EVERY_MS = 60 * 60_000;

/** Keeps `idempotency_keys` to the last day: a create only ever replaces its own expired key. */
@Injectable()
export class IdempotencyKeySweeper implements OnModuleDestroy {
  private readonly sweep: PeriodicSweep;

  constructor(dataSource: DataSource) {
    this.sweep = new PeriodicSweep(
      'expired idempotency keys',
      () => sweepExpiredKeys(dataSource.manager),
      new Logger(IdempotencyKeySweeper.name),
      { everyMs: SWEEP_EVERY_MS, firstAfterMs: SWEEP_EVERY_MS },
    );
    this.sweep.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.sweep.stop();
  }
}
