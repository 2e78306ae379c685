import type { KeyInvalidation, VerifiedKey } from '#contracts';

export interface VerificationCacheOptions {
  /** How long a verified key is trusted without asking again, even with no invalidation. */
  positiveMaxAgeMs: number;
  /** How long "no such key" is remembered. */
  negativeMaxAgeMs: number;
  maxEntries: number;
}

export const DEFAULT_CACHE_OPTIONS: VerificationCacheOptions = {
  positiveMaxAgeMs: 30_000,
  negativeMaxAgeMs: 5_000,
  maxEntries: 100_000,
};

interface Entry {
  value: VerifiedKey | null;
  storedAt: number;
}

/**
 * The gateway's in-process answers of `keys.rpc.verify`, by key hash, with positive and negative
 * entries. Invalidations pushed by key-service evict by key or account at once. A lookup that was
 * in flight while an invalidation arrived is not stored (the `generation` check), so a revocation
 * can never be overwritten by an older answer.
 */
export class VerificationCache {
  private readonly entries = new Map<string, Entry>();
  private readonly hashByKey = new Map<string, string>();
  private readonly hashesByAccount = new Map<string, Set<string>>();
  private generationCounter = 0;

  constructor(
    private readonly now: () => number,
    private readonly options: VerificationCacheOptions = DEFAULT_CACHE_OPTIONS,
  ) {}

  get generation(): number {
    return this.generationCounter;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached answer, `undefined` when there is none or it is too old. */
  get(hash: string): { value: VerifiedKey | null } | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    const maxAge = entry.value ? this.options.positiveMaxAgeMs : this.options.negativeMaxAgeMs;
    if (this.now() - entry.storedAt > maxAge) {
      this.delete(hash);
      return undefined;
    }
    return entry;
  }

  /** Stores an answer fetched when the cache was at `generationAtStart`; dropped if anything was invalidated since. */
  set(hash: string, value: VerifiedKey | null, generationAtStart: number): void {
    if (generationAtStart !== this.generationCounter) return;
    if (this.entries.size >= this.options.maxEntries && !this.entries.has(hash)) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.delete(oldest);
    }
    this.delete(hash);
    this.entries.set(hash, { value, storedAt: this.now() });
    if (value) {
      this.hashByKey.set(value.key.id, hash);
      const hashes = this.hashesByAccount.get(value.account.id) ?? new Set<string>();
      hashes.add(hash);
      this.hashesByAccount.set(value.account.id, hashes);
    }
  }

  invalidate(invalidation: KeyInvalidation): void {
    this.generationCounter += 1;
    if (invalidation.key_id) {
      const hash = this.hashByKey.get(invalidation.key_id);
      if (hash) this.delete(hash);
    }
    if (invalidation.account_id) {
      for (const hash of [...(this.hashesByAccount.get(invalidation.account_id) ?? [])]) this.delete(hash);
    }
    if (invalidation.new_key) {
      for (const [hash, entry] of this.entries) if (entry.value === null) this.entries.delete(hash);
    }
  }

  clear(): void {
    this.generationCounter += 1;
    this.entries.clear();
    this.hashByKey.clear();
    this.hashesByAccount.clear();
  }

  private delete(hash: string): void {
    const entry = this.entries.get(hash);
    if (!entry) return;
    this.entries.delete(hash);
    if (entry.value) {
      this.hashByKey.delete(entry.value.key.id);
      const hashes = this.hashesByAccount.get(entry.value.account.id);
      hashes?.delete(hash);
      if (hashes?.size === 0) this.hashesByAccount.delete(entry.value.account.id);
    }
  }
}
