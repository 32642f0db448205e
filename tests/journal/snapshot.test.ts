import Keyv from "keyv";
import { describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { deleteEntry, editEntry, logEntry } from "../../src/journal/entries.js";
import { entryKey } from "../../src/journal/records.js";
import { guildEntries } from "../../src/journal/snapshot.js";
import { silentLogger } from "../../src/log.js";
import { Store } from "../../src/store/store.js";

const G = "100";
const ALICE = "201";
const TEXT = "Learned how select_related avoids N+1 queries";

/** Two stores over one backing map: two processes sharing one database. */
function twoProcesses(): [Store, Store] {
  const map = new Map<string, unknown>();
  const open = () => new Store(new Keyv({ store: map, namespace: "nexus" }), silentLogger());
  return [open(), open()];
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
    const getMany = vi.spyOn(store, "getMany");
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Python", text: TEXT });
    await editEntry(store, clock, G, { userId: ALICE, id: 1, text: "Edited text of entry one" });
    await deleteEntry(store, clock, G, { userId: ALICE, id: 2 });
    await logEntry(store, clock, G, { authorId: ALICE, topic: "Testing", text: TEXT });
    const entries = await guildEntries(store, G);
    expect(getMany).not.toHaveBeenCalled();
    expect(entries.map((e) => [e.id, e.topic, e.text])).toEqual([
      [3, "Testing", TEXT],
      [1, "Docker", "Edited text of entry one"],
    ]);
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
    const fresh = new Store(store.keyv, silentLogger()); // a process with no snapshot yet
    expect((await guildEntries(fresh, G)).map((e) => e.id)).toEqual([2]);
  });

  it("GIVEN a guild with no journal THEN it has no entries", async () => {
    const [store] = twoProcesses();
    expect(await guildEntries(store, "nope")).toEqual([]);
  });
});
