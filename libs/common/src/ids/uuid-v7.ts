import { randomUUID } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): the Unix time in milliseconds in its first 48 bits, then random bits
 * (those of a random UUID, whose variant bits are already right). For ids of rows that arrive in time
 * order by the thousand (events): their primary-key index grows at its right edge, where a random UUID
 * would touch a random page of it for every row.
 */
export function uuidV7(now: number = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  // randomUUID: xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx; everything after its version digit is kept.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}

/**
 * UUIDv7s that sort in the order they were made, within one millisecond too (RFC 9562 §6.2, method 1: the 12 bits
 * after the version count up within a millisecond; past 4,096 the time moves on by one). Events appended
 * together share their `occurred_at`: with these ids, a list ordered by (time, id) shows them in their order.
 */
export class MonotonicUuidV7 {
  private lastMs = -1;
  private counter = 0;

  next(now: number = Date.now()): string {
    if (now > this.lastMs) {
      this.lastMs = now;
      this.counter = 0;
    } else if (++this.counter > 0xfff) {
      this.lastMs += 1;
      this.counter = 0;
    }
    const time = this.lastMs.toString(16).padStart(12, '0');
    // randomUUID: xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx; its variant group and last 48 random bits are kept.
    return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${this.counter.toString(16).padStart(3, '0')}-${randomUUID().slice(19)}`;
  }
}
