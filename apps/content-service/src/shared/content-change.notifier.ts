import { Injectable, Logger } from '@nestjs/common';
import { CONTENT_CHANGE_SUBJECT, type ContentChange } from '#contracts';
import { NatsConnectionHolder } from '#messaging';

/** How long a write waits for the notice to reach NATS before answering anyway. */
const FLUSH_TIMEOUT_MS = 500;

/**
 * Tells every gateway instance that a resource changed, so that none keeps serving its cached copy
 * (the gateway's ContentReadCache). Called only after the change committed, and flushed before the
 * caller answers its client: the gateway that forwarded the write receives the notice before the reply.
 */
@Injectable()
export class ContentChangeNotifier {
  private readonly logger = new Logger(ContentChangeNotifier.name);

  constructor(private readonly nats: NatsConnectionHolder) {}

  async changed(change: ContentChange): Promise<void> {
    try {
      // A connection that hangs must not hold up a committed write: gateway caches expire on their own.
      await this.nats.publishNotice(CONTENT_CHANGE_SUBJECT, JSON.stringify(change), FLUSH_TIMEOUT_MS);
    } catch (error) {
      // The change is committed and is answered as done.
      this.logger.warn(`could not announce a ${change.kind} change: ${String(error)}`);
    }
  }
}
