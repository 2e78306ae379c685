import { Injectable, Logger } from '@nestjs/common';
import { CONTENT_CHANGE_SUBJECT, type ContentChange } from '#contracts';
import { NatsConnectionHolder } from '#messaging';

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
      this.nats.connection.publish(CONTENT_CHANGE_SUBJECT, JSON.stringify(change));
      await this.nats.connection.flush();
    } catch (error) {
      // The change is committed and must be answered as done; gateway caches expire on their own.
      this.logger.warn(`could not announce a ${change.kind} change: ${String(error)}`);
    }
  }
}
