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
    this.nats.connection.publish(KEY_INVALIDATION_SUBJECT, JSON.stringify(invalidation));
    // Flush so the message is on the wire before the caller answers its client.
    await this.nats.connection.flush();
  }
}
