import type { LoggerService } from '@nestjs/common';
import { AckPolicy, type ConsumerMessages, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { DataSource, EntityManager } from 'typeorm';
import { DEAD_LETTER_SUBJECT_PREFIX, type EventEnvelope, type EventMessage, parseEventMessage } from '#contracts';
import type { NatsConnectionHolder } from '#messaging';

const NANOS_PER_MS = 1_000_000;
/**
 * Messages one pull may bring into memory before the loop takes them: a batch message can be 256 KiB,
 * so at most 64 MiB. (nats.js counts either messages or bytes; by bytes it asks for 100 messages at a
 * time, too few for a stream of small events.)
 */
const PULL_MAX_MESSAGES = 256;

export interface IdempotentConsumerOptions {
  /** Durable consumer name, also the key of the inbox and checkpoint rows. */
  durable: string;
  stream: string;
  filterSubject?: string;
  /** Most events per transaction (a batch message is never split, so one can exceed it). */
  batchSize?: number;
  maxDeliver?: number;
  ackWaitMs?: number;
  /** How long the first message of a batch waits for company (0: only what arrived in the same tick). */
  lingerMs?: number;
  /** Redelivery delays after a failed handling, in order; the last one repeats. */
  backoffMs?: number[];
  /**
   * `inbox` (default): the consumer records each message's id (the event id, or the batch id of an
   * event batch) and skips ids it has seen. `handler`: the handler's own writes are idempotent on the
   * event id (an `ON CONFLICT DO NOTHING` on a table keyed by it), so the inbox row would be a second
   * write for nothing; every delivered event is passed on.
   */
  deduplicate?: 'inbox' | 'handler';
  /**
   * Where a new durable starts: `all` (default) from the stream's first message, `new` from the next
   * one (for a consumer added to a running system that must not act on history, such as alerts).
   * An existing durable keeps its position and its start policy either way.
   */
  startAt?: 'all' | 'new';
  /**
   * Writes the read model for the new events of a batch (already-processed ones are filtered out), in
   * the transaction that records them as processed. One call per transaction, in delivery order.
   */
  handle(events: EventEnvelope[], manager: EntityManager): Promise<void>;
  /**
   * Called when a transaction that ran `handle` was rolled back (the handler threw, or the commit
   * failed): a handler that keeps state in memory drops what it learned from those events, which will
   * come again.
   */
  onRollback?(): void;
  /**
   * Runs each transaction, from BEGIN to COMMIT or ROLLBACK (and `onRollback`), through this: a handler
   * with state in memory passes its own queue, so that no other writer of that state runs in between.
   */
  exclusive?<T>(work: () => Promise<T>): Promise<T>;
  /**
   * A failure that is not the message's fault (for the detector: another replica leads now): the
   * message is retried after the first back-off delay, never counted as poison, never dead-lettered.
   */
  isTransient?(error: unknown): boolean;
}

/** A delivered message and what it carries. */
interface Delivery {
  message: JsMsg;
  body: EventMessage;
}

/**
 * A JetStream durable pull consumer whose handler writes its read model and the consumer's inbox
 * row (the message's event or batch id) in one transaction. A redelivered message finds its id in the inbox and changes
 * nothing; a crash before the commit leaves neither, and JetStream delivers it again.
 * Messages that cannot be parsed, or that keep failing, go to `deadletter.<durable>` and are
 * terminated, so one poison message never blocks the stream.
 */
export class IdempotentConsumer {
  private running = false;
  private loop?: Promise<void>;
  private readonly batchSize: number;
  private readonly maxDeliver: number;
  private readonly ackWaitMs: number;
  private readonly backoffMs: number[];
  private readonly lingerMs: number;
  private messages?: ConsumerMessages;
  private readonly queue: Delivery[] = [];
  /** Events waiting in `queue`: the loop stops taking messages past twice the batch size. */
  private queuedEvents = 0;
  private flushScheduled = false;
  /** Ends the current linger early: set while a flush waits for company. */
  private endLinger?: () => void;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly nats: NatsConnectionHolder,
    private readonly dataSource: DataSource,
    private readonly logger: LoggerService,
    private readonly options: IdempotentConsumerOptions,
  ) {
    this.batchSize = options.batchSize ?? 256;
    this.maxDeliver = options.maxDeliver ?? 5;
    this.ackWaitMs = options.ackWaitMs ?? 30_000;
    this.backoffMs = options.backoffMs ?? [1_000, 5_000, 15_000, 30_000];
    this.lingerMs = options.lingerMs ?? 0;
  }

  async start(): Promise<void> {
    if (this.running) return;
    await this.ensureConsumer();
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.messages?.stop();
    await this.loop;
  }

  private async ensureConsumer(): Promise<void> {
    const manager = await this.nats.manager();
    const config = {
      durable_name: this.options.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: this.options.startAt === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
      // Unlimited: `failed` decides when a message is poison (see there).
      max_deliver: -1,
      ack_wait: this.ackWaitMs * NANOS_PER_MS,
      max_ack_pending: Math.max(1_000, this.batchSize * 4),
      ...(this.options.filterSubject ? { filter_subject: this.options.filterSubject } : {}),
    };
    try {
      await manager.consumers.info(this.options.stream, this.options.durable);
      // Where a durable starts is fixed at its creation (JetStream refuses to change it): not sent again.
      const { deliver_policy: _fixed, ...editable } = config;
      await manager.consumers.update(this.options.stream, this.options.durable, editable);
    } catch (error) {
      if (!/consumer not found/i.test(String(error))) throw error;
      await manager.consumers.add(this.options.stream, config);
    }
  }

  /**
   * Messages stream in (`consume`), wait in a queue, and are handled in batches of what has
   * arrived: one message alone is handled at once, a burst in transactions of up to `batchSize`.
   */
  private async run(): Promise<void> {
    while (this.running) {
      try {
        const consumer = await this.nats.jetstream.consumers.get(this.options.stream, this.options.durable);
        this.messages = await consumer.consume({ max_messages: PULL_MAX_MESSAGES });
        if (!this.running) this.messages.stop();
        for await (const message of this.messages) {
          let body: EventMessage;
          try {
            body = parseEventMessage(message.json());
          } catch (error) {
            await this.deadLetter(message, `malformed: ${error instanceof Error ? error.message : String(error)}`);
            continue;
          }
          this.queue.push({ message, body });
          this.queuedEvents += body.events.length;
          this.scheduleFlush();
          // A full batch has nothing to wait for (a backlog would otherwise linger before every batch).
          if (this.queuedEvents >= this.batchSize) this.endLinger?.();
          // Back-pressure: a backlog waits in JetStream, not in this process's memory.
          if (this.queuedEvents >= this.batchSize * 2) await this.flushing;
        }
      } catch (error) {
        if (!this.running) break;
        this.logger.warn(
          { msg: 'consumer: subscription failed, retrying', consumer: this.options.durable, error: String(error) },
          'IdempotentConsumer',
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    await this.flushing;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.flushing = this.flushing.then(async () => {
      // Let the messages that arrive together join the batch: fewer, larger transactions under load.
      await new Promise<void>((resolve) => {
        if (this.lingerMs <= 0 || this.queuedEvents >= this.batchSize) return void setImmediate(resolve);
        const timer = setTimeout(resolve, this.lingerMs);
        this.endLinger = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.endLinger = undefined;
      this.flushScheduled = false;
      while (this.queue.length > 0) {
        try {
          await this.processBatch(this.takeBatch());
        } catch (error) {
          // processBatch handles failures per message; this is a lost database connection.
          this.logger.warn(
            {
              msg: 'consumer: batch failed, JetStream will redeliver',
              consumer: this.options.durable,
              error: String(error),
            },
            'IdempotentConsumer',
          );
        }
      }
    });
  }

  /** The queued messages that make up the next transaction: at least one, about `batchSize` events. */
  private takeBatch(): Delivery[] {
    let events = 0;
    let count = 0;
    while (
      count < this.queue.length &&
      (count === 0 || events + this.queue[count].body.events.length <= this.batchSize)
    ) {
      events += this.queue[count].body.events.length;
      count += 1;
    }
    this.queuedEvents -= events;
    return this.queue.splice(0, count);
  }

  /** Handles a batch in one transaction; if that fails, falls back to one message at a time. */
  private async processBatch(parsed: Delivery[]): Promise<void> {
    if (parsed.length === 0) return;
    try {
      await this.handleInTransaction(parsed);
      for (const { message } of parsed) message.ack();
    } catch {
      for (const item of parsed) {
        try {
          await this.handleInTransaction([item]);
          item.message.ack();
        } catch (error) {
          await this.failed(item, error);
        }
      }
    }
  }

  /** A transaction around `work`, in the handler's turn when it has one; a rollback is reported. */
  private transactionally(work: (manager: EntityManager) => Promise<void>): Promise<void> {
    const run = async () => {
      try {
        await this.dataSource.transaction(work);
      } catch (error) {
        this.options.onRollback?.();
        throw error;
      }
    };
    return this.options.exclusive ? this.options.exclusive(run) : run();
  }

  private async handleInTransaction(items: Delivery[]): Promise<void> {
    await this.transactionally(async (manager) => {
      if (this.options.deduplicate === 'handler') {
        await this.options.handle(
          items.flatMap(({ body }) => body.events),
          manager,
        );
        await this.saveCheckpoint(items, manager);
        return;
      }
      const fresh = new Set(
        (
          (await manager.query(
            `INSERT INTO es_consumer_inbox (consumer, event_id)
             SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id`,
            [this.options.durable, items.map(({ body }) => body.id)],
          )) as { event_id: string }[]
        ).map((row) => row.event_id),
      );
      // The same id twice in one batch is handled once.
      const freshItems = items.filter(({ body }) => fresh.delete(body.id));
      const events = await this.withoutSplitEvents(freshItems, manager);
      if (events.length > 0) await this.options.handle(events, manager);
      await this.saveCheckpoint(items, manager);
    });
  }

  /**
   * The events of these messages, each id once, minus those already handled one by one: a batch that was
   * being split (see `split`) when its consumer stopped, or is being split by another instance, comes
   * again with part of its events claimed in the inbox. Only redelivered batches can be in that state,
   * so only their event ids are claimed here (the unique inbox key makes this and a running split wait
   * for each other instead of both handling an event).
   */
  private async withoutSplitEvents(items: Delivery[], manager: EntityManager): Promise<EventEnvelope[]> {
    const redelivered = items
      .filter(({ message, body }) => message.info.deliveryCount > 1 && body.events.length > 1)
      .flatMap(({ body }) => body.events.map((event) => event.id));
    const claimed =
      redelivered.length === 0
        ? undefined
        : new Set(
            (
              (await manager.query(
                `INSERT INTO es_consumer_inbox (consumer, event_id)
                 SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id`,
                [this.options.durable, redelivered],
              )) as { event_id: string }[]
            ).map((row) => row.event_id),
          );
    const redeliveredIds = new Set(redelivered);
    const seen = new Set<string>();
    return items
      .flatMap(({ body }) => body.events)
      .filter((event) => {
        if (seen.has(event.id)) return false;
        seen.add(event.id);
        return !claimed || !redeliveredIds.has(event.id) || claimed.has(event.id);
      });
  }

  private async saveCheckpoint(items: { message: JsMsg }[], manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO es_consumer_checkpoints (consumer, stream_sequence) VALUES ($1, $2)
         ON CONFLICT (consumer) DO UPDATE SET stream_sequence = GREATEST(es_consumer_checkpoints.stream_sequence, EXCLUDED.stream_sequence), updated_at = now()`,
      [this.options.durable, Math.max(...items.map(({ message }) => message.seq))],
    );
  }

  /**
   * A message that keeps failing while the database answers is poison: dead-letter it. While the
   * database does not answer, nothing is the message's fault: retry with back-off, forever
   * (JetStream's own delivery cap is off, so an outage never discards events).
   */
  private async failed(item: Delivery, error: unknown): Promise<void> {
    const { message } = item;
    const reason = error instanceof Error ? error.message : String(error);
    if (this.options.isTransient?.(error)) {
      message.nak(this.backoffMs[0]);
      return;
    }
    if (message.info.deliveryCount >= this.maxDeliver && (await this.databaseAnswers())) {
      if (item.body.events.length > 1) await this.split(item, message.info.deliveryCount);
      else await this.deadLetter(message, `gave up after ${message.info.deliveryCount} deliveries: ${reason}`);
      return;
    }
    const delay = this.backoffMs[Math.min(message.info.deliveryCount - 1, this.backoffMs.length - 1)];
    this.logger.warn(
      { msg: 'consumer: handling failed, will retry', consumer: this.options.durable, seq: message.seq, error: reason },
      'IdempotentConsumer',
    );
    message.nak(delay);
  }

  /**
   * A batch that keeps failing: its events are handled one at a time, each in its own transaction
   * (with its event id in the inbox), and only those that fail alone are dead-lettered, one message
   * each. The batch id goes into the inbox last, so a redelivery after a crash half-way skips what
   * was done (see `withoutSplitEvents`).
   */
  private async split(item: Delivery, deliveries: number): Promise<void> {
    const { message, body } = item;
    for (const [index, event] of body.events.entries()) {
      message.working(); // one event at a time may take longer than the ack wait
      try {
        await this.transactionally(async (manager) => {
          if (this.options.deduplicate !== 'handler') {
            const fresh = (await manager.query(
              `INSERT INTO es_consumer_inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
              [this.options.durable, event.id],
            )) as unknown[];
            if (fresh.length === 0) return;
          }
          await this.options.handle([event], manager);
        });
      } catch (error) {
        if (this.options.isTransient?.(error) || !(await this.databaseAnswers())) {
          // Not the event's fault: the whole batch comes again later; what was done here is skipped then.
          message.nak(this.backoffMs[this.backoffMs.length - 1]);
          return;
        }
        const reason = error instanceof Error ? error.message : String(error);
        await this.publishDeadLetter(
          message,
          JSON.stringify(event),
          `gave up after ${deliveries} deliveries of its batch ${body.id}, then alone: ${reason}`,
          `${this.options.stream}:${message.seq}:${index}`,
        );
        // Dead-lettered is done: a redelivery of the batch must not handle or dead-letter it again.
        if (this.options.deduplicate !== 'handler') {
          await this.dataSource.query(
            `INSERT INTO es_consumer_inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
            [this.options.durable, event.id],
          );
        }
      }
    }
    if (this.options.deduplicate !== 'handler') {
      await this.dataSource.query(
        `INSERT INTO es_consumer_inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
        [this.options.durable, body.id],
      );
    }
    message.ack();
  }

  private async databaseAnswers(): Promise<boolean> {
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  private async deadLetter(message: JsMsg, reason: string): Promise<void> {
    await this.publishDeadLetter(message, message.data, reason, `${this.options.stream}:${message.seq}`);
    message.term();
  }

  private async publishDeadLetter(
    message: JsMsg,
    data: Uint8Array | string,
    reason: string,
    msgID: string,
  ): Promise<void> {
    const headers = natsHeaders();
    headers.set('VibeXP-Dead-Letter-Reason', reason.slice(0, 500));
    headers.set('VibeXP-Original-Subject', message.subject);
    headers.set('VibeXP-Original-Stream-Seq', String(message.seq));
    this.logger.warn(
      {
        msg: 'consumer: message dead-lettered',
        consumer: this.options.durable,
        subject: message.subject,
        seq: message.seq,
        reason,
      },
      'IdempotentConsumer',
    );
    await this.nats.jetstream.publish(`${DEAD_LETTER_SUBJECT_PREFIX}.${this.options.durable}`, data, {
      headers,
      msgID,
    });
  }
}
