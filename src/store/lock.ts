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
  /** Keys a waiter has reported slow since they were last idle (one report per stuck episode). */
  private readonly slowKeys = new Set<string>();

  /**
   * `slow`: told once when a waiter has waited `afterMs` for a key, until the key is next idle. A
   * section holds its lock for milliseconds; one held for seconds is a store that stopped answering (a
   * Redis or PostgreSQL server gone, whose client may queue commands until it is back) or a section calling
   * the root store for a scope it holds, and every command of that guild waits behind it.
   */
  constructor(private readonly slow?: { afterMs: number; report: (key: string, waitedMs: number) => void }) {}

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
    if (previous !== undefined) await this.wait(key, previous);
    return () => {
      release();
      if (this.tails.get(key) === tail) {
        this.tails.delete(key);
        this.slowKeys.delete(key);
      }
    };
  }

  /** Waits for the holders before this one; only a waiter pays for the slow-lock timer. */
  private async wait(key: string, previous: Promise<void>): Promise<void> {
    const slow = this.slow;
    if (slow === undefined) return previous;
    const timer = setTimeout(() => {
      if (this.slowKeys.has(key)) return;
      this.slowKeys.add(key);
      slow.report(key, slow.afterMs);
    }, slow.afterMs);
    timer.unref();
    try {
      await previous;
    } finally {
      clearTimeout(timer);
    }
  }

  /** How many keys currently have a holder or waiters (for tests and leak checks). */
  get activeKeys(): number {
    return this.tails.size;
  }
}
