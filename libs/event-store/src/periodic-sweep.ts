import type { LoggerService } from '@nestjs/common';

/**
 * Runs a sweep of expiring rows every `everyMs` (the first `firstAfterMs` after start), one run at a time; a failed
 * run is logged and the next one tries again. `stop` waits for a run in progress. Replicas may sweep together: each
 * sweep deletes in its own statements (deleteInBatches).
 */
export class PeriodicSweep {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    /** What is swept, for the log line of a failure: "the consumer inbox". */
    private readonly what: string,
    private readonly sweep: () => Promise<unknown>,
    private readonly logger: Pick<LoggerService, 'warn'>,
    private readonly timing: { everyMs: number; firstAfterMs: number },
  ) {}

  start(): void {
    const run = (): void => {
      this.running = this.sweep()
        .catch((error: unknown) =>
          this.logger.warn({ msg: `could not sweep ${this.what}`, error: String(error) }, 'PeriodicSweep'),
        )
        .finally(() => {
          if (this.timer) this.timer = setTimeout(run, this.timing.everyMs).unref();
        });
    };
    this.timer = setTimeout(run, this.timing.firstAfterMs).unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
