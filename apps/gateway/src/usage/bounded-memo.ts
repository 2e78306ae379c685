/**
 * Remembers the answers of a pure function of a string key, up to `maxEntries` of them (then the
 * oldest is forgotten). The gateway classifies every request by facts that repeat: the same few
 * client addresses, User-Agents and routes; this turns that work into one map lookup.
 */
export class BoundedMemo<V> {
  private readonly answers = new Map<string, V>();

  constructor(
    private readonly maxEntries: number,
    private readonly compute: (key: string) => V,
  ) {}

  get(key: string): V {
    let answer = this.answers.get(key);
    if (answer === undefined && !this.answers.has(key)) {
      answer = this.compute(key);
      if (this.answers.size >= this.maxEntries) this.answers.delete(this.answers.keys().next().value as string);
      this.answers.set(key, answer);
    }
    return answer as V;
  }

  get size(): number {
    return this.answers.size;
  }
}
