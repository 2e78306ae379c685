import { Injectable, Logger } from '@nestjs/common';
import { KEY_INVALIDATION_SUBJECT, type KeyInvalidation } from '#contracts';
import { NatsConnectionHolder } from '#messaging';

/** How long a call waits for NATS to confirm a notice. */
const CONFIRM_TIMEOUT_MS = 2_000;

/**
 * Tells every gateway instance, at once, that what it cached about a key or account is stale.
 * Core NATS (not JetStream): a gateway that misses it is covered by its cache's short maximum age.
 * Called only after the change committed, and confirmed by the server before the caller answers.
 */
@Injectable()
export class InvalidationPublisher {
  private readonly logger = new Logger(InvalidationPublisher.name);

  constructor(private readonly nats: NatsConnectionHolder) {}

  /**
   * For changes that deny a key (revocation, fewer integrations, suspension): when NATS does not
   * confirm, the call fails, and the client's retry (these changes are idempotent) announces it again
   * rather than trusting an instant revocation that gateways may not have heard of.
   */
  async publish(invalidation: KeyInvalidation): Promise<void> {
    await this.nats.publishNotice(KEY_INVALIDATION_SUBJECT, JSON.stringify(invalidation), CONFIRM_TIMEOUT_MS);
  }

  /**
   * For a call whose answer must not be lost (a new key's secret is shown only in it): a notice that
   * NATS does not confirm is logged, and gateways catch up through their caches' maximum age.
   */
  async publishOrLog(invalidation: KeyInvalidation): Promise<void> {
    try {
      await this.publish(invalidation);
    } catch (error) {
      this.logger.warn(`key invalidation not confirmed by NATS; gateway caches expire on their own: ${String(error)}`);
    }
  }
}
