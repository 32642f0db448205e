/**
 * Serialises async critical sections per key, first come first served. keyv has no transactions, so
 * every read-modify-write of a guild's records runs inside `run(key, …)` (through `Store.locked`).
 * Not re-entrant by itself: a holder that needs the same key again says so through the section handle
 * `Store.locked` gives it, which knows the keys it holds (an explicit handle rather than
 * AsyncLocalStorage, whose async hooks cost every promise in the process). A promise chain per key is all
 * it takes; the map entry is dropped when idle.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<R>(key: string, fn: () => Promise<R> | R): Promise<R> {
    const release = await this.acquire(key);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /**
   * Waits for `key` and returns its release (call it once). For a holder whose hold does not fit one
   * callback: a section that takes another scope's lock keeps it until the outermost section ends.
   */
  async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key);
    let release: () => void = () => {};
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous === undefined ? current : previous.then(() => current);
    this.tails.set(key, tail);
    if (previous !== undefined) await previous;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }

  /** How many keys currently have a holder or waiters (for tests and leak checks). */
  get activeKeys(): number {
    return this.tails.size;
  }
}
