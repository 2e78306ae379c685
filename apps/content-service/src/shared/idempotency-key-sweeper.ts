import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { sweepExpiredKeys } from './idempotency';

/** How often Idempotency-Keys past their 24 hours are deleted. */
const SWEEP_EVERY_MS = 60 * 60_000;

/** Keeps `idempotency_keys` to the last day: a create only ever replaces its own expired key. */
@Injectable()
export class IdempotencyKeySweeper implements OnModuleDestroy {
  private readonly logger = new Logger(IdempotencyKeySweeper.name);
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly dataSource: DataSource) {
    this.timer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS).unref();
  }

  async sweep(): Promise<number> {
    try {
      return await sweepExpiredKeys(this.dataSource.manager);
    } catch (error) {
      this.logger.warn(`could not sweep expired idempotency keys: ${String(error)}`);
      return 0;
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }
}
