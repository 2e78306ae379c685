import { Injectable } from '@nestjs/common';
import { KEY_INVALIDATION_SUBJECT, type KeyInvalidation } from '#contracts';
import { NatsConnectionHolder } from '#messaging';

/**
 * Tells every gateway instance, at once, that what it cached about a key or account is stale.
 * Core NATS (not JetStream): a gateway that misses it is covered by its cache's short maximum age.
 * Called only after the change committed.
 */
@Injectable()
export class InvalidationPublisher {
  constructor(private readonly nats: NatsConnectionHolder) {}

  async publish(invalidation: KeyInvalidation): Promise<void> {
    // Confirmed by the server before the caller answers its client; a failure fails the call, so the
    // client retries rather than trusting an instant revocation that gateways may not have heard of.
    await this.nats.publishNotice(KEY_INVALIDATION_SUBJECT, JSON.stringify(invalidation), 2_000);
  }
}
