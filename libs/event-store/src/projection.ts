import type { EntityManager } from 'typeorm';
import type { EventEnvelope } from '#contracts';

/**
 * A read model built from events. `apply` runs inside the transaction that appended the event
 * (inline projection), so the read model never lags its events; `reset` empties the read model
 * before a rebuild.
 */
export interface Projection {
  readonly name: string;
  handles(eventType: string): boolean;
  apply(event: EventEnvelope, manager: EntityManager): Promise<void>;
  reset(manager: EntityManager): Promise<void>;
}
