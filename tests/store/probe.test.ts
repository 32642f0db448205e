import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../src/log.js";
import { guildKey } from "../../src/store/keys.js";
import { memoryStore, openStore } from "../../src/store/open.js";
import { lastInSequence, SEQUENCE_GAP } from "../../src/store/probe.js";
import type { KeyvStore } from "../../src/store/store.js";

const keyOf = (id: number) => guildKey("1", "item", id);

const dirs: string[] = [];
const stores: KeyvStore[] = [];

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close().catch(() => undefined)));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function sqliteStore(): Promise<KeyvStore> {
  const dir = mkdtempSync(join(tmpdir(), "nexus-probe-"));
  dirs.push(dir);
  const store = await openStore(`sqlite://${join(dir, "db.sqlite")}`, silentLogger());
  stores.push(store);
  return store;
}

/** Stores items with the given ids (written straight to keyv: fast, and the same bytes). */
async function seed(store: KeyvStore, ids: Iterable<number>): Promise<void> {
  for (const id of ids) await store.keyv.set(keyOf(id), { id });
}

const range = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => first + i);

/** A small deterministic generator, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe("lastInSequence", () => {
  it("GIVEN no record WHEN probing THEN it answers 0 after a single getMany", async () => {
    const store = memoryStore(silentLogger());
    const getMany = vi.spyOn(store, "getMany");
    expect(await lastInSequence(store, keyOf)).toBe(0);
    expect(getMany).toHaveBeenCalledTimes(1);
  });

  it.each([1, SEQUENCE_GAP - 1, SEQUENCE_GAP, SEQUENCE_GAP + 1, 2 * SEQUENCE_GAP, 777, 4_096])(
    "GIVEN dense ids 1..%i WHEN probing THEN it finds exactly the last one",
    async (last) => {
      const store = memoryStore(silentLogger());
      await seed(store, range(1, last));
      expect(await lastInSequence(store, keyOf)).toBe(last);
    },
  );

  it("GIVEN 10,000 dense ids WHEN probing THEN it reads a logarithmic number of windows, not every record", async () => {
    const store = memoryStore(silentLogger());
    await seed(store, range(1, 10_000));
    const getMany = vi.spyOn(store, "getMany");
    expect(await lastInSequence(store, keyOf)).toBe(10_000);
    const keysRead = getMany.mock.calls.reduce((sum, [keys]) => sum + keys.length, 0);
    expect(getMany.mock.calls.length).toBeLessThanOrEqual(
      2 * Math.ceil(Math.log2(10_000 / SEQUENCE_GAP)) + 3,
    );
    expect(keysRead).toBeLessThan(1_500);
  });

  it("GIVEN gaps shorter than the tolerance (deleted records), the first ids included WHEN probing THEN the last id is still found", async () => {
    const store = memoryStore(silentLogger());
    const gap = SEQUENCE_GAP - 1;
    const ids = [...range(gap + 1, 300), ...range(300 + gap + 1, 900), 900 + gap + 1];
    await seed(store, ids);
    expect(await lastInSequence(store, keyOf)).toBe(900 + gap + 1);
  });

  it("GIVEN 200 random sets of ids with gaps below the tolerance WHEN probing THEN every answer is the true last id", async () => {
    const random = lcg(20_261_122);
    for (let round = 0; round < 200; round += 1) {
      const store = memoryStore(silentLogger());
      const ids: number[] = [];
      let id = 0;
      const count = Math.floor(random() * 300);
      for (let i = 0; i < count; i += 1) {
        id += 1 + Math.floor(random() * (random() < 0.1 ? SEQUENCE_GAP : 3));
        ids.push(id);
      }
      await seed(store, ids);
      expect(await lastInSequence(store, keyOf), `ids ${ids.join(",")}`).toBe(ids.at(-1) ?? 0);
    }
  });

  it("GIVEN the last record fails its schema WHEN probing THEN its id still counts as taken", async () => {
    const store = memoryStore(silentLogger());
    await seed(store, range(1, 5));
    await store.keyv.set(keyOf(6), "\u0000 not an item");
    expect(await lastInSequence(store, keyOf)).toBe(6);
  });

  it("GIVEN a wider tolerance WHEN a gap exceeds the default THEN the records after it are found", async () => {
    const store = memoryStore(silentLogger());
    await seed(store, [1, 2, 3, 3 + 3 * SEQUENCE_GAP]);
    expect(await lastInSequence(store, keyOf)).toBe(3);
    expect(await lastInSequence(store, keyOf, { gap: 4 * SEQUENCE_GAP })).toBe(3 + 3 * SEQUENCE_GAP);
  });

  it("GIVEN a SQLite store with an undecodable row among the records WHEN probing THEN the last id is found", async () => {
    const store = await sqliteStore();
    await seed(store, range(1, 150));
    const adapter = store.keyv.store as { set(key: string, value: string): Promise<unknown> };
    await adapter.set(`${store.keyv.namespace}:${keyOf(100)}`, '{"value": {"trunc');
    expect(await lastInSequence(store, keyOf)).toBe(150);
  });
});
