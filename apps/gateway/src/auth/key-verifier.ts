import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { KEY_INVALIDATION_SUBJECT, type KeyInvalidation, KeysRpc, type VerifiedKey } from '#contracts';
import { Metrics } from '#common';
import { NatsConnectionHolder } from '#messaging';
import { listenForInvalidations } from '../nats/invalidation-listener';
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
export class KeyVerifier implements OnModuleInit, OnApplicationShutdown {
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
    this.subscription = listenForInvalidations(
      this.nats,
      KEY_INVALIDATION_SUBJECT,
      {
        onNotice: (message) => this.cache.invalidate(message.json<KeyInvalidation>()),
        onLost: () => this.cache.clear(),
      },
      this.logger,
    );
  }

  /**
   * Only once the HTTP server has closed (Nest's shutdown hooks run after it, module-destroy hooks before): until
   * then the instance still answers requests from its cache, and must still hear of a key revoked elsewhere.
   */
  onApplicationShutdown(): void {
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
}
