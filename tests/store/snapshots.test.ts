import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { memoryStore } from "../../src/store/open.js";
import { VersionedSnapshots } from "../../src/store/snapshots.js";

type Copy = { version: number; items: string[] };

function loader(items: string[], version: number) {
  let calls = 0;
  return {
    load: async (): Promise<Copy> => {
      calls += 1;
      return { version, items: [...items] };
    },
    get calls() {
      return calls;
    },
  };
}

describe("VersionedSnapshots", () => {
  it("GIVEN a copy patched to a newer version WHEN a reader saw an older version THEN the newer copy serves it without a load", async () => {
    const store = memoryStore(silentLogger());
    const snapshots = new VersionedSnapshots<Copy>();
    const first = loader(["a"], 5);
    await snapshots.get(store, "g", 5, first.load);
    snapshots.patch(store, "g", 5, 6, (copy) => copy.items.push("b"));
    const again = loader(["stale"], 5);
    const copy = await snapshots.get(store, "g", 5, again.load);
    expect(copy).toEqual({ version: 6, items: ["a", "b"] });
    expect(again.calls).toBe(0);
  });

  it("GIVEN a copy older than the version read THEN it is reloaded once for concurrent readers", async () => {
    const store = memoryStore(silentLogger());
    const snapshots = new VersionedSnapshots<Copy>();
    await snapshots.get(store, "g", 5, loader(["a"], 5).load);
    const newer = loader(["a", "c"], 7);
    const copies = await Promise.all([1, 2, 3].map(() => snapshots.get(store, "g", 7, newer.load)));
    expect(copies.map((copy) => copy.items)).toEqual([
      ["a", "c"],
      ["a", "c"],
      ["a", "c"],
    ]);
    expect(newer.calls).toBe(1);
  });

  it("GIVEN a write of the store fails THEN every copy is dropped and the next read loads", async () => {
    const store = memoryStore(silentLogger());
    const snapshots = new VersionedSnapshots<Copy>();
    await snapshots.get(store, "g", 5, loader(["a"], 5).load);
    // A change patched in, whose write then fails: the copy describes data that was never stored.
    snapshots.patch(store, "g", 5, 6, (copy) => copy.items.push("phantom"));
    store.emit("writeFailed", new Error("disk full"));
    const stored = loader(["a"], 5);
    expect((await snapshots.get(store, "g", 5, stored.load)).items).toEqual(["a"]);
    expect(stored.calls).toBe(1);
  });

  it("GIVEN a load in flight when a write fails THEN its result serves that reader but is not kept", async () => {
    const store = memoryStore(silentLogger());
    const snapshots = new VersionedSnapshots<Copy>();
    await snapshots.get(store, "other", 1, loader([], 1).load); // the store is known to the cache
    let finish: (copy: Copy) => void = () => {};
    const slow = new Promise<Copy>((resolve) => {
      finish = resolve;
    });
    const reading = snapshots.get(store, "g", 6, () => slow);
    store.emit("writeFailed", new Error("disk full"));
    finish({ version: 6, items: ["phantom"] });
    expect((await reading).items).toEqual(["phantom"]);
    const next = loader(["a"], 6);
    expect((await snapshots.get(store, "g", 6, next.load)).items).toEqual(["a"]);
    expect(next.calls).toBe(1);
  });
});
