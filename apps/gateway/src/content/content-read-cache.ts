import type { ContentKind } from '#contracts';

export interface ContentReadCacheOptions {
  /** How long a copy is served without asking content-service again, even with no change notice. */
  maxAgeMs: number;
  /** Bound on the cached views' serialized size; the least recently used go first. 0 turns the cache off. */
  maxBytes: number;
  /** A view larger than this is never cached (an artifact may be 1 MiB). */
  maxEntryBytes: number;
  /** The longest a read can be in flight (the RPC timeout, with a margin): evictions are remembered this long. */
  maxReadMs: number;
}

interface Entry {
  accountId: string;
  view: object;
  bytes: number;
  storedAt: number;
}

/**
 * The gateway's copies of content read by id, for the reads tools repeat (a hook fetching the same
 * memory or prompt on every run). Only content-service decides what an account may read: a copy is
 * served only to the account it was read for; any other account is sent to content-service (and gets
 * its 403). Change notices evict at once; a read that was in flight while its resource was evicted, or
 * while the whole cache was cleared, is not stored (the generation checks), so an older answer can never
 * replace a change. Sizes are the views' JSON length in characters; the heap they take is larger.
 */
export class ContentReadCache {
  /** In least-recently-used order: a hit moves its entry to the end. */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private generationCounter = 0;
  /** Generation of the last clear(). */
  private clearedAt = 0;
  /** Generation and time of each resource's last eviction, oldest first; kept while a read may be in flight. */
  private readonly evictedAt = new Map<string, { generation: number; at: number }>();

  constructor(
    private readonly now: () => number,
    private readonly options: ContentReadCacheOptions,
  ) {}

  get enabled(): boolean {
    return this.options.maxBytes > 0;
  }

  get generation(): number {
    return this.generationCounter;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  /** The copy of `kind` `id` read for `accountId`, if there is a fresh one. */
  get(kind: ContentKind, id: string, accountId: string): object | undefined {
    const key = `${kind}:${id}`;
    const entry = this.entries.get(key);
    if (!entry || entry.accountId !== accountId) return undefined;
    if (this.now() - entry.storedAt > this.options.maxAgeMs) {
      this.remove(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.view;
  }

  /** Stores a view read when the cache was at `generationAtStart`; dropped if the resource was evicted since. */
  set(kind: ContentKind, id: string, accountId: string, view: object, generationAtStart: number): void {
    if (!this.enabled || this.clearedAt > generationAtStart) return;
    const key = `${kind}:${id}`;
    if ((this.evictedAt.get(key)?.generation ?? 0) > generationAtStart) return;
    const bytes = JSON.stringify(view).length;
    if (bytes > this.options.maxEntryBytes || bytes > this.options.maxBytes) return;
    this.remove(key);
    while (this.bytes + bytes > this.options.maxBytes) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.remove(oldest);
    }
    this.entries.set(key, { accountId, view, bytes, storedAt: this.now() });
    this.bytes += bytes;
  }

  evict(kind: ContentKind, id: string): void {
    const key = `${kind}:${id}`;
    const now = this.now();
    this.generationCounter += 1;
    this.remove(key);
    this.evictedAt.delete(key);
    this.evictedAt.set(key, { generation: this.generationCounter, at: now });
    // No read still in flight started before these: they can no longer be stored anyway.
    for (const [evicted, { at }] of this.evictedAt) {
      if (now - at <= this.options.maxReadMs) break;
      this.evictedAt.delete(evicted);
    }
  }

  clear(): void {
    this.generationCounter += 1;
    this.clearedAt = this.generationCounter;
    this.entries.clear();
    this.evictedAt.clear();
    this.bytes = 0;
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}
