import type { KeyvStore, Store } from "./store.js";

/**
 * In-memory copies of per-guild data derived from many records (a journal, a question index), each
 * tagged with the version counter the feature bumps on every write. A read checks one small record (the
 * version) and reuses the copy when it is current; a stale one is reloaded once, concurrent readers of
 * the same version sharing the load; writes in this process patch the copy after they commit, and a
 * write by another process shows up as a version mismatch. At most `maxGuilds` copies are kept per
 * store, least recently read dropped first.
 */
export class VersionedSnapshots<S extends { version: number }> {
  // Keyed by the root store: a locked section of it is a different handle on the same data.
  private readonly caches = new WeakMap<KeyvStore, Map<string, S>>();
  private readonly loads = new WeakMap<KeyvStore, Map<string, Promise<S>>>();

  constructor(private readonly maxGuilds = 64) {}

  /** The guild's snapshot at `version`: the cached one when current, else the result of `load`. */
  async get(store: Store, guildId: string, version: number, load: () => Promise<S>): Promise<S> {
    const cache = this.cacheOf(store.root);
    const cached = cache.get(guildId);
    if (cached !== undefined && cached.version === version) {
      this.remember(cache, guildId, cached);
      return cached;
    }
    let loads = this.loads.get(store.root);
    if (loads === undefined) {
      loads = new Map();
      this.loads.set(store.root, loads);
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
    const current = cache.get(guildId);
    // A concurrent reader may have stored a newer snapshot meanwhile: keep the newer one.
    if (current === undefined || current.version < snapshot.version) this.remember(cache, guildId, snapshot);
    return snapshot;
  }

  /**
   * Applies a committed change that moved the guild from version `from` to `to`. A copy at any other
   * version is left alone: an older one reloads on its next read, a newer one already has the change.
   */
  patch(store: Store, guildId: string, from: number, to: number, apply: (snapshot: S) => void): void {
    const snapshot = this.caches.get(store.root)?.get(guildId);
    if (snapshot === undefined || snapshot.version !== from) return;
    apply(snapshot);
    snapshot.version = to;
  }

  private cacheOf(store: KeyvStore): Map<string, S> {
    let cache = this.caches.get(store);
    if (cache === undefined) {
      cache = new Map();
      this.caches.set(store, cache);
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
