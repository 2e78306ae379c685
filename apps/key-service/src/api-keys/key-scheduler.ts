import type { LoggerService } from '@nestjs/common';
import { ConcurrencyError } from '#event-store';
import type { InvalidationPublisher } from '../shared/invalidation.publisher';
import type { KeyStore } from '../shared/key-store';
import type { ApiKeysRepository } from './api-keys.repository';
import { type ApiKeyEvent, type ApiKeyState, apiKeyStream, decideDue, fold } from './domain/api-key';

/**
 * Revokes keys whose rotation grace period ended and expires keys past `expires_at`. The due times
 * live in the `api_keys` projection, so a restart of key-service loses nothing: the first tick after
 * start catches up. Several replicas may tick; a lost race is a ConcurrencyError and is skipped.
 */
export class KeyScheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly store: KeyStore,
    private readonly keys: ApiKeysRepository,
    private readonly invalidations: InvalidationPublisher,
    private readonly logger: LoggerService,
    private readonly intervalMs = 1_000,
  ) {}

  start(): void {
    const tick = (): void => {
      this.running = this.runDue()
        .catch((error: unknown) =>
          this.logger.warn({ msg: 'key scheduler tick failed', error: String(error) }, 'KeyScheduler'),
        )
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * Applies every due revocation or expiry; returns how many keys changed. A key whose change fails is logged and
   * left for the next tick: it never holds back the keys due after it.
   */
  async runDue(): Promise<number> {
    const now = this.store.clock();
    let changed = 0;
    for (const keyId of await this.keys.due(now)) {
      try {
        if (await this.applyDue(keyId, now)) changed += 1;
      } catch (error) {
        this.logger.warn(
          { msg: 'due key not changed; tried again next tick', key_id: keyId, error: String(error) },
          'KeyScheduler',
        );
      }
    }
    return changed;
  }

  /** Revokes or expires one key when it is due; false when it is not (any more), or another replica did it. */
  private async applyDue(keyId: string, now: Date): Promise<boolean> {
    const state = await this.store.load<ApiKeyEvent, ApiKeyState>(apiKeyStream(keyId), fold);
    if (!state) return false;
    const events = decideDue(state, now);
    if (events.length === 0) return false;
    try {
      await this.store.append(apiKeyStream(keyId), events, state.version, {
        request_id: `scheduler-${now.toISOString()}`,
        account_id: state.accountId,
        key_id: keyId,
      });
    } catch (error) {
      if (error instanceof ConcurrencyError) return false;
      throw error;
    }
    // No client waits to retry: a notice NATS did not confirm is logged, and the rest of the due keys go on
    // (gateways drop a cached key within its maximum age).
    await this.invalidations.publishOrLog({ key_id: keyId });
    return true;
  }
}
