import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import type { EventMeta, RequestMeta } from '#contracts';
import { EventStore, type ExpectedVersion, type NewEvent } from '#event-store';
import { AccountsProjection } from '../accounts/accounts.projection';
import { ApiKeysProjection } from '../api-keys/api-keys.projection';

export const CLOCK = Symbol('CLOCK');
export type Clock = () => Date;

/** key-service's event store, with its inline projections, and the aggregate loader. */
@Injectable()
export class KeyStore {
  readonly events: EventStore;
  readonly accounts = new AccountsProjection();
  readonly apiKeys = new ApiKeysProjection();

  constructor(
    readonly dataSource: DataSource,
    @Inject(CLOCK) readonly clock: Clock,
  ) {
    this.events = new EventStore(dataSource, { projections: [this.accounts, this.apiKeys], clock });
  }

  /** Folds a stream's events into state; `null` when the stream is empty. */
  async load<E, S>(streamId: string, fold: (events: E[]) => S | null, manager?: EntityManager): Promise<S | null> {
    const events = await this.events.readStream(streamId, manager);
    return fold(events.map((event) => ({ type: event.type, data: event.data }) as E));
  }

  async append(
    streamId: string,
    events: NewEvent[] | { type: string; data: object }[],
    expectedVersion: ExpectedVersion,
    meta: EventMeta,
    manager?: EntityManager,
  ): Promise<void> {
    if (events.length === 0) return;
    await this.events.append(streamId, events as NewEvent[], { expectedVersion, meta, manager });
  }

  /** A fact that belongs to no aggregate (a failed login): a stream of its own, version 1. */
  async recordFact(prefix: string, event: { type: string; data: object }, meta: EventMeta): Promise<void> {
    await this.append(`${prefix}-${randomUUID()}`, [event], 'no_stream', meta);
  }
}

export function eventMeta(request: RequestMeta, accountId: string | null, keyId?: string): EventMeta {
  const meta: EventMeta = { request_id: request.request_id, account_id: accountId };
  if (keyId) meta.key_id = keyId;
  if (request.ip) meta.ip = request.ip;
  if (request.user_agent) meta.user_agent = request.user_agent.slice(0, 512);
  if (request.location) meta.location = { country: request.location.country, city: request.location.city ?? null };
  return meta;
}
