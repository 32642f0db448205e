import { lastInSequence } from "../store/probe.js";
import { VersionedSnapshots } from "../store/snapshots.js";
import type { Store } from "../store/store.js";
import {
  type Entry,
  EntrySchema,
  emptyMeta,
  entryKey,
  type JournalMeta,
  JournalMetaSchema,
  journalMetaKey,
} from "./records.js";

/**
 * A guild's entries, newest first, for the read paths that need all of them (search, list, stats).
 *
 * Reading every entry per interaction would be O(N) store reads, so each Store keeps an in-process
 * snapshot per guild tagged with the journal's `version` (bumped under the guild lock by every batch of
 * logs, edit and delete). A read costs one small record (the meta) when the snapshot is current; writes in this
 * process patch the snapshot as they commit (idempotently: put/remove by id), and a change made elsewhere
 * (another process on the same database) shows up as a version mismatch and triggers a reload.
 */

type Snapshot = {
  version: number;
  byId: Map<number, Entry>;
  /** Newest first; built on demand. */
  sorted: readonly Entry[] | null;
  /**
   * Logs since `sorted` was built, oldest first: put in front of it when it is next read. Copying the
   * sorted view on every log made a log cost O(entries) in time and garbage (140 KB per log at 17,000
   * entries, `npm run bench`), and a burst of logs quadratic.
   */
  added: Entry[];
  /** Entries per author; built on demand, so a member's first log need not scan the guild's entries. */
  authors: Map<string, number> | null;
};

/** Keys per getMany on a cold load (SQLite binds one variable per key). */
const BATCH = 500;

const snapshots = new VersionedSnapshots<Snapshot>();

function sortedOf(snapshot: Snapshot): readonly Entry[] {
  if (snapshot.sorted === null) {
    snapshot.added = [];
    snapshot.sorted = [...snapshot.byId.values()].sort((a, b) => b.id - a.id);
  } else if (snapshot.added.length > 0) {
    // A new array (readers may hold the old one): the new logs, newest first, then the rest.
    const { added, sorted } = snapshot;
    const next: Entry[] = new Array(added.length + sorted.length);
    for (let i = 0; i < added.length; i++) next[i] = added[added.length - 1 - i] as Entry;
    for (let i = 0; i < sorted.length; i++) next[added.length + i] = sorted[i] as Entry;
    snapshot.added = [];
    snapshot.sorted = next;
  }
  return snapshot.sorted;
}

function authorsOf(snapshot: Snapshot): Map<string, number> {
  if (snapshot.authors === null) {
    const authors = new Map<string, number>();
    for (const entry of snapshot.byId.values())
      authors.set(entry.authorId, (authors.get(entry.authorId) ?? 0) + 1);
    snapshot.authors = authors;
  }
  return snapshot.authors;
}

function countAuthor(snapshot: Snapshot, authorId: string, delta: number): void {
  const authors = snapshot.authors;
  if (authors === null) return;
  const count = (authors.get(authorId) ?? 0) + delta;
  if (count > 0) authors.set(authorId, count);
  else authors.delete(authorId);
}

async function load(store: Store, guildId: string, nextId: number): Promise<Map<number, Entry>> {
  const byId = new Map<number, Entry>();
  const batches: Promise<Array<Entry | undefined>>[] = [];
  for (let first = 1; first < nextId; first += BATCH) {
    const keys: string[] = [];
    for (let id = first; id < Math.min(first + BATCH, nextId); id += 1) keys.push(entryKey(guildId, id));
    batches.push(store.getMany(keys, EntrySchema));
  }
  for (const batch of await Promise.all(batches)) {
    for (const entry of batch) if (entry !== undefined) byId.set(entry.id, entry);
  }
  return byId;
}

/**
 * Entries are deleted, so ids have gaps: a recovery steps over any run of fewer than this many
 * consecutive missing ids (about the tolerance the journal always had: it probed in batches of 500).
 */
export const ENTRY_GAP = 500;

/**
 * The counter when it is absent: a new journal, or a record that was lost or failed its schema. Probing
 * the entry keys (src/store/probe.ts) finds the highest id in use, so no entry is ever overwritten. The
 * version restarts at `now` so that no process mistakes an old snapshot for the current one. Read-only.
 */
export async function recoverMeta(store: Store, guildId: string, now: number): Promise<JournalMeta> {
  const last = await lastInSequence(store, (id) => entryKey(guildId, id), { gap: ENTRY_GAP });
  return last === 0 ? emptyMeta() : { nextId: last + 1, version: now };
}

/**
 * The guild's snapshot (cached and current), or an uncached one when the counter is absent. `known` is
 * the counter when the caller has just read it under the guild lock.
 */
async function snapshotOf(store: Store, guildId: string, known?: JournalMeta): Promise<Snapshot> {
  const meta = known ?? (await store.get(journalMetaKey(guildId), JournalMetaSchema));
  if (meta === undefined) {
    // No counter: a guild without a journal (one probe finds nothing), or a lost or damaged counter,
    // which the next log, edit or delete rebuilds. Until then read the entries it would have listed;
    // not cached: there is no version to tag a snapshot with, and this path is for damage only.
    const { nextId } = await recoverMeta(store, guildId, 0);
    const byId = nextId === 1 ? new Map<number, Entry>() : await load(store, guildId, nextId);
    return { version: 0, byId, sorted: null, added: [], authors: null };
  }
  return snapshots.get(store, guildId, meta.version, async () => ({
    version: meta.version,
    byId: await load(store, guildId, meta.nextId),
    sorted: null,
    added: [],
    authors: null,
  }));
}

/** Every entry of the guild (private ones too: callers filter), newest first. Treat as read-only. */
export async function guildEntries(store: Store, guildId: string): Promise<readonly Entry[]> {
  return sortedOf(await snapshotOf(store, guildId));
}

/** One member's entries (private ones too), newest first. `meta`: see snapshotOf. */
export async function authorEntries(
  store: Store,
  guildId: string,
  authorId: string,
  meta?: JournalMeta,
): Promise<Entry[]> {
  const snapshot = await snapshotOf(store, guildId, meta);
  if (!authorsOf(snapshot).has(authorId)) return [];
  return sortedOf(snapshot).filter((entry) => entry.authorId === authorId);
}

export type Change = { put: Entry } | { remove: number };

/**
 * Patches this process's snapshot after a committed change (one, or a batch of them in order) that moved
 * the journal from version `from` to `to`. A snapshot at any other version is left alone (an older one
 * reloads on the next read; a newer one was loaded after the change and already contains it).
 */
export function applyChange(
  store: Store,
  guildId: string,
  from: number,
  to: number,
  changes: Change | readonly Change[],
): void {
  snapshots.patch(store, guildId, from, to, (snapshot) => {
    for (const change of Array.isArray(changes) ? changes : [changes]) patchOne(snapshot, change);
  });
}

function patchOne(snapshot: Snapshot, change: Change): void {
  // The sorted view is replaced, never mutated (readers may hold it), and patched without a re-sort:
  // a new log is the newest entry (queued in `added` until the next read), an edit keeps its place, a
  // delete drops one.
  if ("put" in change) {
    const { put } = change;
    const previous = snapshot.byId.get(put.id);
    const existed = previous !== undefined;
    if (previous !== undefined) countAuthor(snapshot, previous.authorId, -1);
    countAuthor(snapshot, put.authorId, 1);
    snapshot.byId.set(put.id, put);
    if (snapshot.sorted === null) return;
    const newest = snapshot.added.at(-1)?.id ?? snapshot.sorted[0]?.id ?? 0;
    if (!existed && newest < put.id) {
      snapshot.added.push(put);
      return;
    }
    const sorted = sortedOf(snapshot);
    if (existed) snapshot.sorted = sorted.map((entry) => (entry.id === put.id ? put : entry));
    else snapshot.sorted = null;
  } else {
    const removed = snapshot.byId.get(change.remove);
    if (removed === undefined) return;
    countAuthor(snapshot, removed.authorId, -1);
    snapshot.byId.delete(change.remove);
    if (snapshot.sorted !== null)
      snapshot.sorted = sortedOf(snapshot).filter((entry) => entry.id !== change.remove);
  }
}
