import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import {
  CONTENT_CHANGE_SUBJECT,
  type ContentActor,
  type ContentChange,
  type ContentKind,
  type ContentLocator,
  ContentRpc,
} from '#contracts';
import { Metrics } from '#common';
import { NatsConnectionHolder } from '#messaging';
import { GatewayEnv } from '../config/gateway.env';
import { listenForInvalidations } from '../nats/invalidation-listener';
import { RpcClient } from '../rpc/rpc-client';
import { ContentReadCache } from './content-read-cache';

/** A view larger than this is always read from content-service. */
const MAX_ENTRY_BYTES = 256 * 1024;

/**
 * Reads of one resource by id go through the gateway's ContentReadCache; every write through this
 * gateway evicts what it addressed, and content-service's change notices evict on every gateway.
 * Reads by slug or project path, lists, search and versions always ask content-service.
 */
@Injectable()
export class ContentReads implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ContentReads.name);
  readonly cache: ContentReadCache;
  private subscription?: Subscription;
  private readonly lookups;

  constructor(
    private readonly rpc: RpcClient,
    private readonly nats: NatsConnectionHolder,
    config: GatewayEnv,
    metrics: Metrics,
  ) {
    this.cache = new ContentReadCache(Date.now, {
      maxAgeMs: config.CONTENT_CACHE_MAX_AGE_MS,
      maxBytes: config.CONTENT_CACHE_MB * 1024 * 1024,
      maxEntryBytes: MAX_ENTRY_BYTES,
      maxReadMs: config.RPC_TIMEOUT_MS + 1_000,
    });
    this.lookups = metrics.counter('gateway_content_cache_total', 'content reads by id, by cache outcome', ['outcome']);
  }

  onModuleInit(): void {
    if (!this.cache.enabled) return;
    this.subscription = listenForInvalidations(
      this.nats,
      CONTENT_CHANGE_SUBJECT,
      {
        onNotice: (message) => {
          const change = message.json<ContentChange>();
          if (typeof change?.kind !== 'string' || typeof change.id !== 'string') throw new Error('not a change');
          this.cache.evict(change.kind, change.id);
        },
        onLost: () => this.cache.clear(),
      },
      this.logger,
    );
  }

  /** Only once the HTTP server has closed: until then cached reads are still answered, and must still be evicted. */
  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  /** One resource, from the cache when this account read it by id recently and it has not changed since. */
  async get<V extends { id: string }>(kind: ContentKind, locator: ContentLocator, actor: ContentActor): Promise<V> {
    const id = 'id' in locator ? locator.id : undefined;
    if (id === undefined || !this.cache.enabled) return this.rpc.request<V>(ContentRpc.get(kind), { actor, locator });
    const cached = this.cache.get(kind, id, actor.account_id) as V | undefined;
    if (cached) {
      this.lookups.inc({ outcome: 'hit' });
      return cached;
    }
    this.lookups.inc({ outcome: 'miss' });
    const generation = this.cache.generation;
    const view = await this.rpc.request<V>(ContentRpc.get(kind), { actor, locator });
    if (view.id === id) this.cache.set(kind, id, actor.account_id, view, generation);
    return view;
  }

  /**
   * Runs a write and evicts the resource whatever the outcome (a timed-out write may still have
   * happened): by the id it was addressed with, and by the id it answers with (a prompt written by
   * slug). Content-service's notice evicts it too, on every gateway; this keeps this gateway's own
   * reads after its writes right even when the notice is late or lost.
   */
  async change<T>(kind: ContentKind, locator: ContentLocator, write: () => Promise<T>): Promise<T> {
    let answer: T | undefined;
    try {
      answer = await write();
      return answer;
    } finally {
      if ('id' in locator) this.cache.evict(kind, locator.id.toLowerCase());
      const answered = (answer as { id?: unknown } | undefined)?.id;
      if (typeof answered === 'string') this.cache.evict(kind, answered);
    }
  }
}
