import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import Keyv from "keyv";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createLogger, silentLogger } from "../../src/log.js";
import { guildKey, scopeOf } from "../../src/store/keys.js";
import { memoryStore, openStore } from "../../src/store/open.js";
import { DAMAGED, KeyvStore } from "../../src/store/store.js";
import { type LocalServer, required, skipWithout } from "../support/ports.js";
import { startPostgres } from "../support/postgres.js";
import { redisCommand, startRedis } from "../support/redis.js";

const Counter = z.object({ n: z.number().int().nonnegative() });
const dirs: string[] = [];
const stores: KeyvStore[] = [];

async function sqliteStore(file?: string): Promise<KeyvStore> {
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

/** Redis and PostgreSQL servers of the tests' own (tests/support/ports.ts skipWithout: when they are skipped). */
const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
afterAll(async () => {
  await Promise.all([redis?.stop(), postgres?.stop()]);
});

/** A fresh store on a server the tests started (emptied first). */
function serverStore(name: string, server: LocalServer | null): () => Promise<KeyvStore> {
  return async () => {
    const running = required(name, server);
    await running.flush();
    const store = await openStore(running.url, silentLogger());
    stores.push(store);
    return store;
  };
}

const backends: Array<[string, () => Promise<KeyvStore>, boolean]> = [
  ["memory", async () => memoryStore(silentLogger()), false],
  ["sqlite", () => sqliteStore(), false],
  ["redis", serverStore("redis", redis), skipWithout(redis)],
  ["postgres", serverStore("postgres", postgres), skipWithout(postgres)],
];

for (const [name, server] of [
  ["redis", redis],
  ["postgres", postgres],
] as const) {
  describe.skipIf(skipWithout(server))(`two stores on one ${name} server (two processes)`, () => {
    it("GIVEN both claim one day THEN exactly one wins, and both read the winner's record", async () => {
      const open = serverStore(name, server);
      const [a, b] = [await open(), await openStore(required(name, server).url, silentLogger())];
      stores.push(b);
      const key = guildKey("1", "challenge", "posted", "2026-11-22");
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? b : a).claim(key, Counter, { n: i })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = { n: results.indexOf(true) };
      expect(await a.get(key, Counter)).toEqual(winner);
      expect(await b.get(key, Counter)).toEqual(winner);
    });

    it("GIVEN sections that rewrite 200 records WHEN the other process reads them meanwhile THEN it sees all of a section's writes or none", async () => {
      const open = serverStore(name, server);
      const [a, b] = [await open(), await openStore(required(name, server).url, silentLogger())];
      stores.push(b);
      const keys = Array.from({ length: 200 }, (_, i) => guildKey("1", "counter", i));
      // What the records read as, in runs ("7×200"): before any section, after each, after the last.
      const runs = (values: Array<{ n: number } | undefined>): string =>
        values
          .map((value) => String(value?.n ?? "absent"))
          .reduce<Array<[string, number]>>((acc, value) => {
            const last = acc.at(-1);
            if (last?.[0] === value) last[1] += 1;
            else acc.push([value, 1]);
            return acc;
          }, [])
          .map(([value, count]) => `${value}×${count}`)
          .join(" ");
      const states = new Set([
        "absent×200",
        ...Array.from({ length: 19 }, (_, i) => `${i + 1}×200`),
        "20×100 absent×100",
      ]);
      let writing = true;
      const seen: string[] = [];
      const reader = (async () => {
        while (writing) seen.push(runs(await b.getMany(keys, Counter)));
      })();
      for (let n = 1; n <= 20; n++) {
        await a.locked("1", async (section) => {
          // The last section writes half the records and deletes the other half.
          await Promise.all(
            keys.map((key, i) =>
              n === 20 && i >= 100 ? section.delete(key) : section.set(key, Counter, { n }),
            ),
          );
        });
      }
      writing = false;
      await reader;
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.filter((state) => !states.has(state))).toEqual([]);
      expect(runs(await b.getMany(keys, Counter))).toBe("20×100 absent×100");
    });
  });
}

describe.skipIf(skipWithout(redis))("Redis errors reach the caller", () => {
  it("GIVEN Redis refuses a write (its memory is full) THEN the caller gets the error, not an acknowledgement", async () => {
    const store = await serverStore("redis", redis)();
    const url = required("redis", redis).url;
    const key = guildKey("1", "counter");
    expect(await redisCommand(url, "CONFIG SET maxmemory-policy noeviction")).toBe("+OK");
    expect(await redisCommand(url, "CONFIG SET maxmemory 1")).toBe("+OK");
    try {
      await expect(store.set(key, Counter, { n: 1 })).rejects.toThrow(/OOM/);
    } finally {
      await redisCommand(url, "CONFIG SET maxmemory 0");
    }
    expect(await store.get(key, Counter)).toBeUndefined();
  });

  it("GIVEN a read Redis refuses WHEN the record is updated THEN the update fails and the record is untouched", async () => {
    const store = await serverStore("redis", redis)();
    const url = required("redis", redis).url;
    const key = guildKey("1", "counter");
    await store.set(key, Counter, { n: 41 });
    expect(await redisCommand(url, "ACL SETUSER default -get -mget")).toBe("+OK");
    try {
      await expect(store.update(key, Counter, (current) => ({ n: (current?.n ?? 0) + 1 }))).rejects.toThrow(
        /NOPERM/,
      );
    } finally {
      await redisCommand(url, "ACL SETUSER default +get +mget");
    }
    expect(await store.get(key, Counter)).toEqual({ n: 41 });
  });
});

describe.skipIf(skipWithout(postgres))("a section over postgres", () => {
  it("GIVEN a section one of whose writes the server refuses THEN the caller gets the error and none of its writes is stored", async () => {
    const store = await serverStore("postgres", postgres)();
    const before = guildKey("1", "counter", "kept");
    await store.set(before, Counter, { n: 1 });
    // @keyv/postgres keys are VARCHAR(255): PostgreSQL refuses this one when the section is written.
    const tooLong = guildKey("1", "x".repeat(300));
    await expect(
      store.locked("1", async (section) => {
        await section.set(before, Counter, { n: 2 });
        await section.set(guildKey("1", "counter", "new"), Counter, { n: 3 });
        await section.set(tooLong, Counter, { n: 4 });
      }),
    ).rejects.toThrow(/too long/);
    expect(await store.get(before, Counter)).toEqual({ n: 1 });
    expect(await store.get(guildKey("1", "counter", "new"), Counter)).toBeUndefined();
    expect(store.lock.activeKeys).toBe(0);
  });
});

for (const [name, open, skip] of backends) {
  describe.skipIf(skip)(`KeyvStore over ${name}`, () => {
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

    it("GIVEN a record that cannot even be decoded WHEN updated THEN its stored text is kept aside", async () => {
      const store = await open();
      const key = guildKey("1", "counter");
      const damaged = '{"value":{"n":41,"note":"half a rec';
      // Written as the keyv would write it, under the namespaced key, bypassing the codec.
      await (store.keyv.store as { set(key: string, value: string): Promise<unknown> }).set(
        `nexus:${key}`,
        damaged,
      );
      expect(await store.get(key, Counter)).toBeUndefined();
      const next = await store.update(key, Counter, (current) => ({ n: (current?.n ?? 0) + 1 }));
      expect(next).toEqual({ n: 1 });
      const aside: unknown[] = [];
      for await (const [k, v] of store.keyv.iterator?.(undefined) ?? []) {
        if (String(k).includes("quarantine:")) aside.push(v);
      }
      expect(aside).toEqual([damaged]);
    });

    it("GIVEN records absent, valid, failing their schema and undecodable WHEN read with getManyOrDamaged THEN the last two alone are DAMAGED, in a section too", async () => {
      const store = await open();
      const key = (name: string) => guildKey("1", "counter", name);
      const [absent, valid, wrong, torn] = [key("absent"), key("valid"), key("wrong"), key("torn")];
      await store.set(valid, Counter, { n: 1 });
      await store.keyv.set(wrong, { n: "seven" });
      await (store.keyv.store as { set(key: string, value: string): Promise<unknown> }).set(
        `nexus:${torn}`,
        '{"value":{"n":41,"note":"half a rec',
      );
      const keys = [absent, valid, wrong, torn];
      const expected = [undefined, { n: 1 }, DAMAGED, DAMAGED];
      expect(await store.getManyOrDamaged(keys, Counter)).toEqual(expected);
      expect(await store.locked("1", (section) => section.getManyOrDamaged(keys, Counter))).toEqual(expected);
      const held = await store.locked("1", async (section) => {
        await section.set(torn, Counter, { n: 2 });
        return section.getManyOrDamaged(keys, Counter);
      });
      expect(held).toEqual([undefined, { n: 1 }, DAMAGED, { n: 2 }]);
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

    it("GIVEN a guild lock held WHEN its section updates and locks the same guild THEN it does not deadlock", async () => {
      const store = await open();
      const key = guildKey("9", "counter");
      const result = await store.locked("9", async (section) => {
        await section.update(key, Counter, () => ({ n: 5 }));
        return section.locked("guild:9", (again) =>
          again.update(key, Counter, (current) => ({ n: (current?.n ?? 0) + 1 })),
        );
      });
      expect(result).toEqual({ n: 6 });
      expect(store.lock.activeKeys).toBe(0);
    });

    it("GIVEN two nested sections on different guilds THEN the inner one waits for its own guild's lock only", async () => {
      const store = await open();
      const a = guildKey("1", "counter");
      const b = guildKey("2", "counter");
      const order: string[] = [];
      let releaseB: () => void = () => {};
      const holdingB = store.locked("2", async () => {
        order.push("b held");
        await new Promise<void>((resolve) => {
          releaseB = resolve;
        });
        order.push("b released");
      });
      const nested = store.locked("1", async (section) => {
        await section.set(a, Counter, { n: 1 });
        return section.locked("2", async (inner) => {
          order.push("nested in b");
          return inner.set(b, Counter, { n: 2 });
        });
      });
      // Guild 1's lock is free for nobody else while the nested section waits for guild 2.
      let otherA = false;
      const other = store.update(a, Counter, (current) => {
        otherA = true;
        return { n: (current?.n ?? 0) + 10 };
      });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(otherA).toBe(false);
      releaseB();
      await Promise.all([holdingB, nested, other]);
      expect(order).toEqual(["b held", "b released", "nested in b"]);
      expect(await store.get(a, Counter)).toEqual({ n: 11 });
      expect(await store.get(b, Counter)).toEqual({ n: 2 });
      expect(store.lock.activeKeys).toBe(0);
    });

    it("GIVEN 20 writes in one section THEN each resolves with its value once the section is done and all are stored", async () => {
      const store = await open();
      const keys = Array.from({ length: 20 }, (_, i) => guildKey("3", "counter", i));
      const written = await store.locked("3", (section) =>
        Promise.all(keys.map((key, i) => section.set(key, Counter, { n: i }))),
      );
      expect(written.map((value) => value.n)).toEqual(keys.map((_, i) => i));
      expect(await store.getMany(keys, Counter)).toEqual(keys.map((_, i) => ({ n: i })));
    });

    it("GIVEN a section that writes, deletes and then throws THEN the caller gets the error and nothing changed", async () => {
      const store = await open();
      const kept = guildKey("4", "kept");
      const gone = guildKey("4", "gone");
      await store.set(kept, Counter, { n: 1 });
      await store.set(gone, Counter, { n: 2 });
      const failed: unknown[] = [];
      store.on("writeFailed", (error) => failed.push(error));
      await expect(
        store.locked("4", async (section) => {
          await section.set(kept, Counter, { n: 100 });
          await section.update(guildKey("4", "new"), Counter, () => ({ n: 3 }));
          await section.delete(gone);
          throw new Error("half-way");
        }),
      ).rejects.toThrow("half-way");
      expect(await store.get(kept, Counter)).toEqual({ n: 1 });
      expect(await store.get(gone, Counter)).toEqual({ n: 2 });
      expect(await store.get(guildKey("4", "new"), Counter)).toBeUndefined();
      // In-process caches patched by the section drop what they hold.
      expect(failed).toHaveLength(1);
      expect(store.lock.activeKeys).toBe(0);
    });

    it("GIVEN a section's writes and deletes THEN its own reads see them and readers outside see them once it ends", async () => {
      const store = await open();
      const a = guildKey("5", "a");
      const b = guildKey("5", "b");
      const c = guildKey("5", "c");
      await store.set(b, Counter, { n: 2 });
      await store.set(c, Counter, { n: 3 });
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const inside: unknown[] = [];
      const section = store.locked("5", async (section) => {
        await section.set(a, Counter, { n: 1 });
        inside.push(await section.delete(b), await section.delete(b));
        inside.push(await section.get(a, Counter), await section.get(b, Counter));
        inside.push(await section.getMany([a, b, c], Counter));
        inside.push(await section.update(a, Counter, (current) => ({ n: (current?.n ?? 0) + 1 })));
        inside.push(await section.claim(a, Counter, { n: 9 }));
        await gate;
      });
      await new Promise((resolve) => setTimeout(resolve, 10));
      // Outside the section, before it ends: the records as they were.
      expect(await store.getMany([a, b, c], Counter)).toEqual([undefined, { n: 2 }, { n: 3 }]);
      release();
      await section;
      expect(inside).toEqual([
        true,
        false,
        { n: 1 },
        undefined,
        [{ n: 1 }, undefined, { n: 3 }],
        { n: 2 },
        false,
      ]);
      expect(await store.getMany([a, b, c], Counter)).toEqual([{ n: 2 }, undefined, { n: 3 }]);
    });

    it("GIVEN a section that takes another scope's lock inside THEN that scope stays held until the outer section has written", async () => {
      const store = await open();
      const a = guildKey("6", "counter");
      const b = guildKey("7", "counter");
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const outer = store.locked("6", async (section) => {
        await section.locked("7", (inner) => inner.set(b, Counter, { n: 1 }));
        await section.set(a, Counter, { n: 1 });
        await gate;
      });
      await new Promise((resolve) => setTimeout(resolve, 10));
      // An update of guild 7 waits for the outer section: it must read the inner section's write.
      const other = store.update(b, Counter, (current) => ({ n: (current?.n ?? 0) + 10 }));
      await new Promise((resolve) => setTimeout(resolve, 10));
      release();
      await Promise.all([outer, other]);
      expect(await store.get(b, Counter)).toEqual({ n: 11 });
      expect(store.lock.activeKeys).toBe(0);
    });
  });
}

describe("a lock held for long", () => {
  it("GIVEN a section that does not end WHEN others wait past the threshold THEN one warning names the lock, once per episode", async () => {
    const lines: Array<{ msg: string; lock?: string; waitedMs?: number }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const store = new KeyvStore(
      new Keyv({ store: new Map(), namespace: "nexus" }),
      createLogger("warn", sink),
      {
        slowLockMs: 200,
      },
    );
    const key = guildKey("1", "counter");
    const increment = () => store.update(key, Counter, (current) => ({ n: (current?.n ?? 0) + 1 }));
    const stuck = async (ms: number) => {
      let end: () => void = () => {};
      const holder = store.locked("1", () => new Promise<void>((resolve) => (end = resolve)));
      const waiters = [increment(), increment(), increment()];
      await new Promise((resolve) => setTimeout(resolve, ms));
      end();
      await Promise.all([holder, ...waiters]);
    };

    await stuck(500);
    expect(lines).toEqual([expect.objectContaining({ lock: "guild:1", waitedMs: 200 })]);
    await stuck(5);
    expect(lines).toHaveLength(1);
    await stuck(500);
    expect(lines).toHaveLength(2);
    expect(await store.get(key, Counter)).toEqual({ n: 9 });
    expect(store.lock.activeKeys).toBe(0);
  });
});

describe("Store over a failing backend", () => {
  function failing() {
    const store = memoryStore(silentLogger());
    const map = store.keyv.store as Map<string, unknown>;
    const faults = { reads: false, writes: false };
    const get = map.get.bind(map);
    const set = map.set.bind(map);
    map.get = (key: string) => {
      if (faults.reads) throw new Error("I/O error");
      return get(key);
    };
    map.set = (key: string, value: unknown) => {
      if (faults.writes) throw new Error("disk full");
      return set(key, value);
    };
    return { store, faults };
  }

  it("GIVEN a read that fails WHEN the record is updated THEN the update fails and the record is untouched", async () => {
    const { store, faults } = failing();
    const key = guildKey("1", "counter");
    await store.set(key, Counter, { n: 41 });
    faults.reads = true;
    await expect(store.update(key, Counter, () => ({ n: 0 }))).rejects.toThrow("I/O error");
    await expect(store.get(key, Counter)).rejects.toThrow("I/O error");
    faults.reads = false;
    expect(await store.get(key, Counter)).toEqual({ n: 41 });
    expect(store.corruptCount).toBe(0);
    expect(store.lock.activeKeys).toBe(0);
  });

  it("GIVEN a write that fails THEN set rejects instead of acknowledging it, and writeFailed is announced", async () => {
    const { store, faults } = failing();
    const announced: unknown[] = [];
    store.on("writeFailed", (error) => announced.push(error));
    faults.writes = true;
    await expect(store.set(guildKey("1", "counter"), Counter, { n: 1 })).rejects.toThrow("disk full");
    await expect(
      store.locked("1", (section) => section.set(guildKey("1", "other"), Counter, { n: 2 })),
    ).rejects.toThrow("disk full");
    expect(announced).toHaveLength(2);
    faults.writes = false;
    expect(await store.get(guildKey("1", "counter"), Counter)).toBeUndefined();
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

  it("GIVEN a section that read a write whose commit then fails WHEN it writes after the failure THEN it fails too and the lost write is not stored through it", async () => {
    const store = await sqliteStore();
    const key = guildKey("1", "counter");
    await store.set(key, Counter, { n: 0 });
    const adapter = store.keyv.store as unknown as {
      query(sql: string, ...params: unknown[]): Promise<unknown>;
    };
    const query = adapter.query.bind(adapter);
    let failNext = true;
    adapter.query = async (sql, ...params) => {
      if (failNext && /INSERT/.test(sql)) {
        failNext = false;
        await new Promise((resolve) => setTimeout(resolve, 30));
        throw new Error("SQLITE_FULL: database or disk is full");
      }
      return query(sql, ...params);
    };
    const failed: unknown[] = [];
    store.on("writeFailed", (error) => failed.push(error));
    const first = store
      .update(key, Counter, (current) => ({ n: (current?.n ?? 0) + 1 }))
      .then(
        () => "stored",
        (error: Error) => error.message,
      );
    // The next section of the guild reads the first one's value (not durable yet) and is still at work
    // when that commit fails; it writes only afterwards.
    let read: number | undefined;
    const second = store
      .update(key, Counter, async (current) => {
        read = current?.n;
        await first;
        return { n: (current?.n ?? 0) + 1 };
      })
      .then(
        () => "stored",
        (error: Error) => error.message,
      );
    expect(await first).toMatch(/disk is full/);
    expect(read).toBe(1);
    expect(await second).toMatch(/disk is full/);
    expect(await store.get(key, Counter)).toEqual({ n: 0 });
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(store.lock.activeKeys).toBe(0);
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

describe("opening a store whose server does not answer", () => {
  for (const url of ["redis://127.0.0.1:1", "postgres://nexus:secret@127.0.0.1:1/nexus"]) {
    it(`GIVEN DATABASE_URL=${url.replace(/:secret@/, ":***@")} (nothing listens) THEN opening fails within seconds, not at the first command`, async () => {
      const started = Date.now();
      await expect(openStore(url, silentLogger())).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(8_000);
    }, 15_000);
  }
});
