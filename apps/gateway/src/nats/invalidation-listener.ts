import type { Logger } from '@nestjs/common';
import type { Msg, Subscription } from '@nats-io/transport-node';
import type { NatsConnectionHolder } from '#messaging';

export interface InvalidationHandlers {
  /** One notice that something cached is stale. Throwing counts as a lost notice. */
  onNotice(message: Msg): void;
  /** Notices may have been lost (a reconnect, a slow consumer, an unreadable message): drop everything. */
  onLost(reason: string): void;
}

/**
 * Listens to a core NATS subject of invalidation notices for an in-process cache. Core NATS may drop
 * messages around a reconnect, so anything that may have cost a notice empties the cache instead of
 * trusting it. Returns the subscription (unsubscribe on shutdown).
 */
export function listenForInvalidations(
  nats: NatsConnectionHolder,
  subject: string,
  handlers: InvalidationHandlers,
  logger: Logger,
): Subscription {
  const subscription = nats.connection.subscribe(subject, {
    callback: (error, message) => {
      if (error) return handlers.onLost(`subscription error: ${String(error)}`);
      try {
        handlers.onNotice(message);
      } catch {
        handlers.onLost('unreadable notice');
      }
    },
  });
  void (async () => {
    for await (const status of nats.connection.status()) {
      if (status.type !== 'ping' && status.type !== 'update' && status.type !== 'reconnecting') {
        logger.warn(`NATS ${status.type}: ${subject} cache cleared`);
        handlers.onLost(`NATS ${status.type}`);
      }
    }
  })();
  return subscription;
}
