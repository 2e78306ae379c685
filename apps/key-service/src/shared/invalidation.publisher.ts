import { Injectable, Logger } from '@nestjs/common';
import { DomainError, KEY_INVALIDATION_SUBJECT, type KeyInvalidation, RpcErrorCode } from '#contracts';
import { NatsConnectionHolder } from '#messaging';

/** How long a call waits for NATS to confirm a notice. */
const CONFIRM_TIMEOUT_MS = 2_000;
/**
 * A notice that was not confirmed is sent again this often, this many times: each try takes up to 1 s plus the
 * confirmation's 2 s, so the last ends within the caches' 30 s maximum age, after which it would tell nothing.
 */
const BACKGROUND_RETRY_MS = 1_000;
const BACKGROUND_RETRIES = 8;

/**
 * Tells every gateway instance, at once, that what it cached about a key or account is stale.
 * Core NATS (not JetStream): a gateway that misses it is covered by its cache's short maximum age.
 * Called only after the change committed, and confirmed by the server before the caller answers.
 */
@Injectable()
export class InvalidationPublisher {
  private readonly logger = new Logger(InvalidationPublisher.name);

  /** Notices being sent again in the background, as their JSON. */
  private readonly retrying = new Set<string>();

  constructor(private readonly nats: NatsConnectionHolder) {}

  /**
   * For changes that deny a key (revocation, fewer integrations, suspension): when NATS does not
   * confirm, the call fails, and the client's retry (these changes are idempotent) announces it again
   * rather than trusting an instant revocation that gateways may not have heard of.
   */
  async publish(invalidation: KeyInvalidation): Promise<void> {
    try {
      await this.send(invalidation);
    } catch (error) {
      // 503 at the edge, which clients retry: the change is saved, and its retry announces it again.
      throw new DomainError(
        RpcErrorCode.Unavailable,
        `the change is saved, but gateways could not be told of it yet (${String(error)}): send the request again`,
      );
    }
  }

  /**
   * For a call whose answer must not be lost (a new key's secret is shown only in it): a notice that
   * NATS does not confirm is logged and sent again in the background; gateways that still miss it catch up
   * through their caches' maximum age.
   */
  async publishOrLog(invalidation: KeyInvalidation): Promise<void> {
    try {
      await this.send(invalidation);
    } catch (error) {
      this.logger.warn(`key invalidation not confirmed by NATS; sent again in the background: ${String(error)}`);
      // One retry per notice: the same key announced again during an outage joins the one already pending.
      const payload = JSON.stringify(invalidation);
      if (!this.retrying.has(payload)) {
        this.retrying.add(payload);
        void this.retryInBackground(invalidation).finally(() => this.retrying.delete(payload));
      }
    }
  }

  /** The notice itself, confirmed by the server within CONFIRM_TIMEOUT_MS or failing. */
  private send(invalidation: KeyInvalidation): Promise<void> {
    return this.nats.publishNotice(KEY_INVALIDATION_SUBJECT, JSON.stringify(invalidation), CONFIRM_TIMEOUT_MS);
  }

  /**
   * Sends a notice NATS did not confirm again, a second apart, a few times: a revocation that answered its caller
   * (a rotation without grace, the scheduler's) should reach gateways well before their caches' maximum age.
   */
  private async retryInBackground(invalidation: KeyInvalidation): Promise<void> {
    for (let attempt = 1; attempt <= BACKGROUND_RETRIES; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, BACKGROUND_RETRY_MS).unref());
      try {
        await this.send(invalidation);
        return;
      } catch (error) {
        if (attempt === BACKGROUND_RETRIES)
          this.logger.warn(
            `key invalidation still not confirmed; gateway caches expire on their own: ${String(error)}`,
          );
      }
    }
  }
}
