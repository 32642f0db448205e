import type { KeyvStore, Store } from "./store.js";

/**
 * In-memory copies of per-guild data derived from many records (a journal, a question index), each
 * tagged with the version counter the feature bumps on every write. A read checks one small record (the
 * version) and reuses the copy when it is current; a stale one is reloaded once, concurrent readers of
 * the same version sharing the load; writes in this process patch the copy after they commit, and a
 * write by another process shows up as a version mismatch. At most `maxGuilds` copies are kept per
 * store, least recently read dropped first.
 *
 * Versions only grow. A copy newer than the version a reader saw also serves it: the reader's read raced
 * a change this process made (and patched in), and reloading the whole guild for an older view would
 * only waste work (under a burst of /learn log it reloaded the journal many times over). A patch is
 * applied inside the locked section that makes the change, before its writes are durable, so when a
 * write of the store fails (or a section that wrote throws, writing nothing) every copy of that store is
 * dropped, and a load that started before the failure is not kept.
 */
export class VersionedSnapshots<S extends { version: number }> {
  // Keyed by the root store: a locked section of it is a different handle on the same data.
  private readonly caches = new WeakMap<KeyvStore, Map<string, S>>();
  private readonly loads = new WeakMap<KeyvStore, Map<string, Promise<S>>>();
  /** Failed writes seen per store (loads started before one are not kept). */
  private readonly failures = new WeakMap<KeyvStore, number>();

  constructor(private readonly maxGuilds = 64) {}

  /** The guild's snapshot at `version` or newer: the cached one when it is, else the result of `load`. */
  async get(store: Store, guildId: string, version: number, load: () => Promise<S>): Promise<S> {
    const root = store.root;
    const cache = this.cacheOf(root);
    const cached = cache.get(guildId);
    if (cached !== undefined && cached.version >= version) {
      this.remember(cache, guildId, cached);
      return cached;
    }
    const failures = this.failures.get(root) ?? 0;
    let loads = this.loads.get(root);
    if (loads === undefined) {
      loads = new Map();
      this.loads.set(root, loads);
    }
    const loadKey = `${guildId}@${version}`;
    let pending = loads.get(loadKey);
    if (pending === undefined) {
      const started = load();
      pending = started;
      loads.set(loadKey, started);
      const forget = () => loads.delete(loadKey);
      started.then(forget, forget);
    }
    const snapshot = await pending;
    if ((this.failures.get(root) ?? 0) !== failures) return snapshot;
    const current = cache.get(guildId);
    // A concurrent reader may have stored a newer snapshot meanwhile: keep the newer one.
    if (current === undefined || current.version < snapshot.version) this.remember(cache, guildId, snapshot);
    return snapshot;
  }

  /**
   * Applies a change that moved the guild from version `from` to `to`, made in a section under the
   * guild's lock. A copy at any other version is left alone: an older one reloads on its next read,
   * a newer one already has the change.
   */
  patch(store: Store, guildId: string, from: number, to: number, apply: (snapshot: S) => void): void {
    const snapshot = this.caches.get(store.root)?.get(guildId);
    if (snapshot === undefined || snapshot.version !== from) return;
    apply(snapshot);
    snapshot.version = to;
  }

  private cacheOf(root: KeyvStore): Map<string, S> {
    let cache = this.caches.get(root);
    if (cache === undefined) {
      cache = new Map();
      this.caches.set(root, cache);
      if (!this.failures.has(root)) {
        this.failures.set(root, 0);
        root.on("writeFailed", () => {
          this.failures.set(root, (this.failures.get(root) ?? 0) + 1);
          this.caches.delete(root);
          this.loads.delete(root);
        });
      }
    }
    return cache;
  }

  private remember(cache: Map<string, S>, guildId: string, snapshot: S): void {
    cache.delete(guildId);
    cache.set(guildId, snapshot);
    while (cache.size > this.maxGuilds) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
  }
}
