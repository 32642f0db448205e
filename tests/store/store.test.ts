import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { silentLogger } from "../../src/log.js";
import { guildKey, scopeOf } from "../../src/store/keys.js";
import { memoryStore, openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";

const Counter = z.object({ n: z.number().int().nonnegative() });
const dirs: string[] = [];
const stores: Store[] = [];

async function sqliteStore(file?: string): Promise<Store> {
  const path =
    file ??
    join(
      (() => {
        const dir = mkdtempSync(join(tmpdir(), "nexus-store-"));
        dirs.push(dir);
        return dir;
      })(),
      "db.sqlite",
    );
  const store = await openStore(`sqlite://${path}`, silentLogger());
  stores.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close().catch(() => undefined)));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("keys", () => {
  it("GIVEN a guild and parts THEN the key is hierarchical and scoped to the guild", () => {
    expect(guildKey("123", "learn", "entry", 7)).toBe("guild:123:learn:entry:7");
    expect(scopeOf("guild:123:learn:entry:7")).toBe("guild:123");
    expect(scopeOf("global:schema")).toBe("global");
  });
  it("GIVEN a part with a colon THEN building the key throws", () => {
    expect(() => guildKey("1", "a:b")).toThrow(/bad key part/);
  });
});

describe.each([
  ["memory", async () => memoryStore(silentLogger())],
  ["sqlite", () => sqliteStore()],
])("Store over %s", (_name, open) => {
  it("GIVEN 500 concurrent increments of one counter THEN it ends at exactly 500", async () => {
    const store = await open();
    const key = guildKey("1", "counter");
    await Promise.all(
      Array.from({ length: 500 }, () =>
        store.update(key, Counter, (current) => ({ n: (current?.n ?? 0) + 1 })),
      ),
    );
    expect(await store.get(key, Counter)).toEqual({ n: 500 });
  });

  it("GIVEN a record that fails its schema WHEN read THEN it is reported and skipped", async () => {
    const store = await open();
    const key = guildKey("1", "counter");
    await store.keyv.set(key, { n: "seven" });
    const reported: string[] = [];
    store.on("corrupt", (record) => reported.push(record.key));
    expect(await store.get(key, Counter)).toBeUndefined();
    expect(reported).toEqual([key]);
    expect(await store.getMany([key, guildKey("1", "other")], Counter)).toEqual([undefined, undefined]);
  });

  it("GIVEN a corrupt record WHEN updated THEN the old value is kept aside and the update proceeds", async () => {
    const store = await open();
    const key = guildKey("1", "counter");
    await store.keyv.set(key, { n: -3 });
    const next = await store.update(key, Counter, (current) => ({ n: (current?.n ?? 0) + 1 }));
    expect(next).toEqual({ n: 1 });
    const aside: unknown[] = [];
    for await (const [k, v] of store.keyv.iterator?.(undefined) ?? []) {
      if (String(k).includes("quarantine:")) aside.push(v);
    }
    expect(aside).toEqual([{ n: -3 }]);
  });

  it("GIVEN an invalid value WHEN written THEN it is rejected before reaching the store", async () => {
    const store = await open();
    const key = guildKey("1", "counter");
    await expect(store.set(key, Counter, { n: -1 })).rejects.toThrow();
    expect(await store.keyv.get(key)).toBeUndefined();
  });

  it("GIVEN 50 concurrent claims of one key THEN exactly one wins", async () => {
    const store = await open();
    const key = guildKey("1", "claim", "2026-11-22");
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.claim(key, Counter, { n: i })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.get(key, Counter)).toEqual({ n: results.indexOf(true) });
  });

  it("GIVEN an update that throws THEN the record is unchanged and the lock is released", async () => {
    const store = await open();
    const key = guildKey("1", "counter");
    await store.set(key, Counter, { n: 1 });
    await expect(
      store.update(key, Counter, () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    await store.update(key, Counter, (current) => ({ n: (current?.n ?? 0) + 1 }));
    expect(await store.get(key, Counter)).toEqual({ n: 2 });
    expect(store.lock.activeKeys).toBe(0);
  });

  it("GIVEN a guild lock held WHEN update is called inside it THEN it does not deadlock", async () => {
    const store = await open();
    const key = guildKey("9", "counter");
    const result = await store.locked("9", async () => {
      await store.update(key, Counter, () => ({ n: 5 }));
      return store.update(key, Counter, (current) => ({ n: (current?.n ?? 0) + 1 }));
    });
    expect(result).toEqual({ n: 6 });
  });
});

describe("Store over sqlite durability", () => {
  it("GIVEN acknowledged writes WHEN the store is reopened THEN every write is there", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nexus-store-"));
    dirs.push(dir);
    const file = join(dir, "db.sqlite");
    const first = await sqliteStore(file);
    await Promise.all(
      Array.from({ length: 300 }, (_, i) => first.set(guildKey("1", "item", i), Counter, { n: i })),
    );
    await first.close();
    const second = await sqliteStore(file);
    const values = await second.getMany(
      Array.from({ length: 300 }, (_, i) => guildKey("1", "item", i)),
      Counter,
    );
    expect(values.map((v) => v?.n)).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it("GIVEN two stores on one file (two processes) WHEN both claim one day THEN exactly one wins", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nexus-store-"));
    dirs.push(dir);
    const file = join(dir, "db.sqlite");
    const a = await sqliteStore(file);
    const b = await sqliteStore(file);
    const key = guildKey("1", "challenge", "posted", "2026-11-22");
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => a.claim(key, Counter, { n: 1 })),
      ...Array.from({ length: 10 }, () => b.claim(key, Counter, { n: 2 })),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("GIVEN the journal mode THEN the database runs in WAL with full sync", async () => {
    const store = await sqliteStore();
    await store.set(guildKey("1", "x"), Counter, { n: 1 });
    const adapter = store.keyv.store as {
      query?: unknown;
      inner?: { query: (sql: string) => Promise<unknown> };
    };
    const mode = await adapter.inner?.query("PRAGMA journal_mode");
    expect(mode).toEqual([{ journal_mode: "wal" }]);
  });
});
