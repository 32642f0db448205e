import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Serialises async critical sections per key (FIFO), re-entrant within one async call chain.
 * keyv has no transactions, so every read-modify-write of a guild's records runs inside
 * `run(scope, …)`; re-entrancy lets a domain function that holds the guild lock call `store.update`
 * without deadlocking. A promise chain per key is all it takes; the map entry is dropped when idle.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly held = new AsyncLocalStorage<ReadonlySet<string>>();

  async run<R>(key: string, fn: () => Promise<R> | R): Promise<R> {
    const held = this.held.getStore();
    if (held?.has(key)) return fn();
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release: () => void = () => {};
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await this.held.run(new Set([...(held ?? []), key]), fn);
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** How many keys currently have a holder or waiters (for tests and leak checks). */
  get activeKeys(): number {
    return this.tails.size;
  }
}
