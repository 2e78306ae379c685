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

  /** Applies every due revocation or expiry; returns how many keys changed. */
  async runDue(): Promise<number> {
    const now = this.store.clock();
    let changed = 0;
    for (const keyId of await this.keys.due(now)) {
      const state = await this.store.load<ApiKeyEvent, ApiKeyState>(apiKeyStream(keyId), fold);
      if (!state) continue;
      const events = decideDue(state, now);
      if (events.length === 0) continue;
      try {
        await this.store.append(apiKeyStream(keyId), events, state.version, {
          request_id: `scheduler-${now.toISOString()}`,
          account_id: state.accountId,
          key_id: keyId,
        });
      } catch (error) {
        if (error instanceof ConcurrencyError) continue;
        throw error;
      }
      // No client waits to retry: a notice NATS did not confirm is logged, and the rest of the due keys go on
      // (gateways drop a cached key within its maximum age).
      await this.invalidations.publishOrLog({ key_id: keyId });
      changed += 1;
    }
    return changed;
  }
}
