import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { KEY_INVALIDATION_SUBJECT, type KeyInvalidation, KeysRpc, type VerifiedKey } from '#contracts';
import { Metrics } from '#common';
import { NatsConnectionHolder } from '#messaging';
import { RpcClient } from '../rpc/rpc-client';
import { VerificationCache } from './verification-cache';

const VERIFY_TIMEOUT_MS = 2_000;

/**
 * Answers "which key is this hash?" from the cache, asking key-service only on a miss. Listens to
 * key-service's invalidations on every instance; after a NATS reconnect (invalidations may have been
 * missed) it forgets everything. When key-service cannot be reached, a key not in the cache is
 * refused: the RPC error propagates and the request fails closed.
 */
@Injectable()
export class KeyVerifier implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(KeyVerifier.name);
  readonly cache = new VerificationCache(Date.now);
  private subscription?: Subscription;
  private readonly lookups;

  constructor(
    private readonly rpc: RpcClient,
    private readonly nats: NatsConnectionHolder,
    metrics: Metrics,
  ) {
    this.lookups = metrics.counter('gateway_key_verifications_total', 'API key verifications by cache outcome', [
      'outcome',
    ]);
  }

  onModuleInit(): void {
    this.subscription = this.nats.connection.subscribe(KEY_INVALIDATION_SUBJECT, {
      callback: (error, message) => {
        // An error may have cost us an invalidation: forget everything rather than trust a stale entry.
        if (error) return this.cache.clear();
        try {
          this.cache.invalidate(message.json<KeyInvalidation>());
        } catch {
          // A message we cannot read may have been an invalidation: be safe.
          this.cache.clear();
        }
      },
    });
    void this.watchReconnects();
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  async verify(keyHash: string): Promise<VerifiedKey | null> {
    const cached = this.cache.get(keyHash);
    if (cached) {
      this.lookups.inc({ outcome: 'hit' });
      return cached.value;
    }
    this.lookups.inc({ outcome: 'miss' });
    const generation = this.cache.generation;
    const answer = await this.rpc.request<VerifiedKey | null>(KeysRpc.verify, { key_hash: keyHash }, VERIFY_TIMEOUT_MS);
    this.cache.set(keyHash, answer, generation);
    return answer;
  }

  private async watchReconnects(): Promise<void> {
    for await (const status of this.nats.connection.status()) {
      // Anything that may have dropped messages (a reconnect, a slow consumer, an error) empties the cache.
      if (status.type !== 'ping' && status.type !== 'update' && status.type !== 'reconnecting') {
        this.logger.warn(`NATS ${status.type}: verification cache cleared`);
        this.cache.clear();
      }
    }
  }
}
