import Keyv from "keyv";
import { describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { deleteEntry, editEntry, logEntry } from "../../src/journal/entries.js";
import { entryKey, JournalMetaSchema, journalMetaKey } from "../../src/journal/records.js";
import { searchJournal } from "../../src/journal/search.js";
import { authorEntries, ENTRY_GAP, guildEntries, recoverMeta } from "../../src/journal/snapshot.js";
import { silentLogger } from "../../src/log.js";
import { KeyvStore } from "../../src/store/store.js";

const G = "100";
const ALICE = "201";
const TEXT = "Learned how select_related avoids N+1 queries";

/** Two stores over one backing map: two processes sharing one database. */
function twoProcesses(): [KeyvStore, KeyvStore] {
  const map = new Map<string, unknown>();
  const open = () => new KeyvStore(new Keyv({ store: map, namespace: "nexus" }), silentLogger());
  return [open(), open()];
}

/** The store's getMany calls that read entry records (a snapshot load); logs read other records too. */
function entryLoads(store: KeyvStore): () => number {
  const getMany = vi.spyOn(store, "getMany");
  const entryPrefix = entryKey(G, 0).replace(/0$/, "");
  return () => getMany.mock.calls.filter(([keys]) => keys.some((key) => key.startsWith(entryPrefix))).length;
}

describe("guildEntries snapshot", () => {
  it("GIVEN a warm snapshot WHEN read again THEN only the meta record is read", async () => {
    const [store] = twoProcesses();
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    for (let i = 0; i < 30; i += 1)
      await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    expect(await guildEntries(store, G)).toHaveLength(30);
    const getMany = vi.spyOn(store, "getMany");
    const get = vi.spyOn(store, "get");
    expect(await guildEntries(store, G)).toHaveLength(30);
    expect(getMany).not.toHaveBeenCalled();
    expect(get).toHaveBeenCalledTimes(1);
  });

  it("GIVEN writes in this process after a read THEN the snapshot is patched, not reloaded", async () => {
    const [store] = twoProcesses();
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    await guildEntries(store, G);
    const loads = entryLoads(store);
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Python", text: TEXT });
    await editEntry(store, clock, G, { userId: ALICE, id: 1, text: "Edited text of entry one" });
    await deleteEntry(store, clock, G, { userId: ALICE, id: 2 });
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Testing", text: TEXT });
    const entries = await guildEntries(store, G);
    expect(loads()).toBe(0);
    expect(entries.map((e) => [e.id, e.topic, e.text])).toEqual([
      [3, "Testing", TEXT],
      [1, "Docker", "Edited text of entry one"],
    ]);
  });

  it("GIVEN a list read earlier WHEN more entries are logged and one of them edited THEN the next read has them newest first and the earlier list is unchanged", async () => {
    const [store] = twoProcesses();
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    for (let i = 0; i < 3; i += 1)
      await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    const before = await guildEntries(store, G);
    const loads = entryLoads(store);
    for (let i = 0; i < 5; i += 1)
      await logEntry(store, clock, G, { authorId: ALICE, topic: "Python", text: `${TEXT} ${i}` });
    await editEntry(store, clock, G, { userId: ALICE, id: 5, text: "Edited while queued" });
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Testing", text: TEXT });
    const after = await guildEntries(store, G);
    expect(loads()).toBe(0);
    expect(before.map((e) => e.id)).toEqual([3, 2, 1]);
    expect(after.map((e) => e.id)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(after.find((e) => e.id === 5)?.text).toBe("Edited while queued");
    expect(await guildEntries(store, G)).toBe(after);
  });

  it("GIVEN logs, an edit and deletes patched into the snapshot THEN each author's entries stay exact", async () => {
    const [store, other] = twoProcesses();
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    const BOB = "202";
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    expect((await authorEntries(store, G, BOB)).map((e) => e.id)).toEqual([]);
    await logEntry(store, clock, G, { authorId: BOB, topic: "Python", text: TEXT });
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Testing", text: TEXT });
    await editEntry(store, clock, G, { userId: ALICE, id: 1, text: "Edited text of entry one" });
    expect((await authorEntries(store, G, ALICE)).map((e) => [e.id, e.text])).toEqual([
      [3, TEXT],
      [1, "Edited text of entry one"],
    ]);
    await deleteEntry(store, clock, G, { userId: BOB, id: 2 });
    expect(await authorEntries(store, G, BOB)).toEqual([]);
    await deleteEntry(store, clock, G, { userId: ALICE, id: 3 });
    await deleteEntry(store, clock, G, { userId: ALICE, id: 1 });
    expect(await authorEntries(store, G, ALICE)).toEqual([]);
    await logEntry(store, clock, G, { authorId: BOB, topic: "Docker", text: TEXT });
    expect((await authorEntries(store, G, BOB)).map((e) => e.id)).toEqual([4]);
    // Another process (a snapshot loaded from the records) agrees.
    expect((await authorEntries(other, G, BOB)).map((e) => e.id)).toEqual([4]);
    expect(await authorEntries(other, G, ALICE)).toEqual([]);
  });

  it("GIVEN another process changes the journal THEN this process's next read reloads it", async () => {
    const [a, b] = twoProcesses();
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    await logEntry(a, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    expect(await guildEntries(a, G)).toHaveLength(1);
    await logEntry(b, clock, G, { authorId: ALICE, topic: "Python", text: TEXT });
    await editEntry(b, clock, G, { userId: ALICE, id: 1, text: "Edited in the other process" });
    const seen = await guildEntries(a, G);
    expect(seen.map((e) => [e.id, e.text])).toEqual([
      [2, TEXT],
      [1, "Edited in the other process"],
    ]);
  });

  it("GIVEN reads racing 50 concurrent logs THEN the final snapshot has every entry exactly once", async () => {
    const [store] = twoProcesses();
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    await Promise.all([
      ...Array.from({ length: 50 }, () =>
        logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT }),
      ),
      ...Array.from({ length: 20 }, () => guildEntries(store, G)),
    ]);
    const ids = (await guildEntries(store, G)).map((e) => e.id);
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => 50 - i));
  });

  it("GIVEN a corrupt entry record THEN it is skipped and the rest are read", async () => {
    const [store] = twoProcesses();
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    await store.keyv.set(entryKey(G, 1), { id: "one" });
    const fresh = new KeyvStore(store.keyv, silentLogger()); // a process with no snapshot yet
    expect((await guildEntries(fresh, G)).map((e) => e.id)).toEqual([2]);
  });

  it("GIVEN a guild with no journal THEN it has no entries", async () => {
    const [store] = twoProcesses();
    expect(await guildEntries(store, "nope")).toEqual([]);
  });
});

describe("a lost or damaged counter", () => {
  /** An undecodable row, as a torn write would leave it (the store reports it and reads it as absent). */
  async function undecodable(store: KeyvStore, key: string): Promise<void> {
    (store.keyv.store as Map<string, unknown>).set(`${store.keyv.namespace}:${key}`, '{"value": {"truncated');
  }

  it("GIVEN the counter fails its schema WHEN the journal is read THEN every intact entry is still there, newest first", async () => {
    const [store] = twoProcesses();
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    for (let i = 0; i < 12; i += 1)
      await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: `${TEXT} ${i}` });
    await store.keyv.set(journalMetaKey(G), { nextId: "thirteen" });
    const fresh = new KeyvStore(store.keyv, silentLogger());
    expect((await guildEntries(fresh, G)).map((e) => e.id)).toEqual(
      Array.from({ length: 12 }, (_, i) => 12 - i),
    );
    expect((await searchJournal(fresh, G, "select_related", { limit: 5 })).length).toBe(5);
  });

  it("GIVEN an undecodable counter and deleted entries WHEN the journal is read THEN the entries after the gap are shown and nothing is written", async () => {
    const [store] = twoProcesses();
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    for (let i = 0; i < 20; i += 1)
      await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    for (let id = 1; id <= 15; id += 1) await deleteEntry(store, clock, G, { userId: ALICE, id });
    await undecodable(store, journalMetaKey(G));
    const fresh = new KeyvStore(store.keyv, silentLogger());
    const set = vi.spyOn(fresh, "set");
    const update = vi.spyOn(fresh, "update");
    expect((await guildEntries(fresh, G)).map((e) => e.id)).toEqual([20, 19, 18, 17, 16]);
    expect(set).not.toHaveBeenCalled();
    expect(update).not.toHaveBeenCalled();
  });

  it("GIVEN a damaged counter WHEN the next entry is logged THEN it gets a fresh id and the journal is cached again", async () => {
    const [store] = twoProcesses();
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    for (let i = 0; i < 3; i += 1)
      await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    await store.keyv.set(journalMetaKey(G), "\u0000 damaged");
    expect(await guildEntries(store, G)).toHaveLength(3);
    const { entry } = await logEntry(store, clock, G, { authorId: ALICE, topic: "Python", text: TEXT });
    expect(entry.id).toBe(4);
    expect((await store.get(journalMetaKey(G), JournalMetaSchema))?.nextId).toBe(5);
    expect((await guildEntries(store, G)).map((e) => e.id)).toEqual([4, 3, 2, 1]);
    const getMany = vi.spyOn(store, "getMany");
    await guildEntries(store, G);
    expect(getMany).not.toHaveBeenCalled();
  });

  it("GIVEN entries beyond a run of deletions shorter than ENTRY_GAP WHEN the counter is recovered THEN the next id is past the last entry", async () => {
    const [store] = twoProcesses();
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Docker", text: TEXT });
    const far = ENTRY_GAP; // ids 2..ENTRY_GAP-1 deleted: a run of ENTRY_GAP - 2 missing ids
    await store.keyv.set(entryKey(G, far), {
      id: far,
      authorId: ALICE,
      topic: "Docker",
      text: TEXT,
      createdAt: clock.now(),
      day: "2026-03-01",
    });
    expect((await recoverMeta(store, G, clock.now())).nextId).toBe(far + 1);
  });
});
