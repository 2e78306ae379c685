import {
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { ALL_STREAMS, DEAD_LETTER_SUBJECT_PREFIX, type StreamDefinition } from '#contracts';

const NANOS_PER_SECOND = 1_000_000_000;
/** Publishes with the same Nats-Msg-Id inside this window are stored once. */
export const DUPLICATE_WINDOW_SECONDS = 120;
/** Events are kept for the audit retention (400 days by default) plus a margin for replays. */
const MAX_AGE_DAYS = 430;

export const DEAD_LETTER_STREAM = 'DEADLETTER';

function configFor(stream: StreamDefinition): Partial<StreamConfig> & { name: string; subjects: string[] } {
  return {
    name: stream.name,
    subjects: [`${stream.subjectPrefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: DUPLICATE_WINDOW_SECONDS * NANOS_PER_SECOND,
    max_age: MAX_AGE_DAYS * 24 * 3600 * NANOS_PER_SECOND,
    num_replicas: 1,
  };
}

/**
 * Creates every stream of the contract, or updates it to the wanted configuration. Idempotent:
 * every service calls it at start so that none depends on another having started first.
 */
export async function provisionStreams(manager: JetStreamManager, replicas = 1): Promise<void> {
  const wanted = [
    ...ALL_STREAMS.map(configFor),
    {
      ...configFor({ name: DEAD_LETTER_STREAM, subjectPrefix: DEAD_LETTER_SUBJECT_PREFIX, eventTypes: [] }),
      max_age: 30 * 24 * 3600 * NANOS_PER_SECOND,
    },
  ];
  for (const config of wanted) {
    const withReplicas = { ...config, num_replicas: replicas };
    try {
      await manager.streams.info(config.name);
      await manager.streams.update(config.name, withReplicas);
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
      try {
        await manager.streams.add(withReplicas);
      } catch (addError) {
        // Another service created it between our look-up and our add.
        if (!String(addError).includes('already in use')) throw addError;
      }
    }
  }
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof Error && /stream not found/i.test(error.message);
}
