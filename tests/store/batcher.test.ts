import Keyv from "keyv";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { ManualClock } from "../../src/clock.js";
import { silentLogger } from "../../src/log.js";
import { GuildBatcher, type Outcome } from "../../src/store/batcher.js";
import { memoryStore } from "../../src/store/open.js";
import { KeyvStore } from "../../src/store/store.js";
import { GatedBackend } from "../support/gated-backend.js";

const clock = new ManualClock(Date.UTC(2026, 0, 1));
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A batcher that records each batch's items and answers each item doubled (odd items fail alone). */
function recorder(options: { write?: boolean } = {}) {
  const batches: number[][] = [];
  const batcher = new GuildBatcher<number, number>(async (store, _clock, guildId, items) => {
    batches.push([...items]);
    if (options.write)
      await store.set(`guild:${guildId}:batch:${batches.length}`, z.array(z.number()), items);
    return items.map(
      (item): Outcome<number> =>
        item % 2 === 0 ? { ok: true, value: item * 2 } : { ok: false, error: new Error(`odd ${item}`) },
    );
  });
  return { batches, batcher };
}

describe("GuildBatcher", () => {
  it("GIVEN an idle guild WHEN one call comes THEN it runs at once, alone", async () => {
    const { batches, batcher } = recorder();
    await expect(batcher.submit(memoryStore(silentLogger()), clock, "1", 2)).resolves.toBe(4);
    expect(batches).toEqual([[2]]);
  });

  it("GIVEN calls in one turn THEN they run as one batch, in arrival order, each with its own outcome", async () => {
    const { batches, batcher } = recorder();
    const store = memoryStore(silentLogger());
    const results = await Promise.allSettled(
      [0, 1, 2, 3, 4].map((n) => batcher.submit(store, clock, "1", n)),
    );
    expect(batches).toEqual([[0, 1, 2, 3, 4]]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([
      0,
      "odd 1",
      4,
      "odd 3",
      8,
    ]);
  });

  it("GIVEN a batch waiting for its writes to be durable WHEN calls arrive over several turns THEN none runs until then, and they run as one batch", async () => {
    const backend = new GatedBackend();
    const store = new KeyvStore(new Keyv({ store: backend, namespace: "nexus" }), silentLogger());
    const { batches, batcher } = recorder({ write: true });
    let firstDone = false;
    const first = batcher.submit(store, clock, "1", 0).then((value) => {
      firstDone = true;
      return value;
    });
    await vi.waitFor(() => expect(backend.pending).toBe(1));
    const later: Promise<number>[] = [];
    for (const n of [2, 4, 6]) {
      later.push(batcher.submit(store, clock, "1", n));
      await turn();
    }
    expect(batches).toEqual([[0]]);
    expect(firstDone).toBe(false); // acknowledged only once durable
    backend.release();
    await expect(first).resolves.toBe(0);
    await vi.waitFor(() => expect(backend.pending).toBe(1));
    expect(batches).toEqual([[0], [2, 4, 6]]);
    backend.release();
    await expect(Promise.all(later)).resolves.toEqual([4, 8, 12]);
  });

  it("GIVEN two guilds THEN each has its own batches, and one waiting for its disk does not hold the other", async () => {
    const backend = new GatedBackend();
    const store = new KeyvStore(new Keyv({ store: backend, namespace: "nexus" }), silentLogger());
    const { batches, batcher } = recorder({ write: true });
    const a = batcher.submit(store, clock, "1", 2);
    await vi.waitFor(() => expect(backend.pending).toBe(1));
    const b = batcher.submit(store, clock, "2", 4);
    await vi.waitFor(() => expect(backend.pending).toBe(2));
    expect(batches).toEqual([[2], [4]]);
    backend.release();
    await expect(Promise.all([a, b])).resolves.toEqual([4, 8]);
  });

  it("GIVEN a batch that throws THEN every call in it gets the error, and the next batch still runs", async () => {
    const store = memoryStore(silentLogger());
    let fail = true;
    const batcher = new GuildBatcher<number, number>(async (_store, _clock, _guild, items) => {
      await turn();
      if (fail) throw new Error("backend down");
      return items.map((item) => ({ ok: true, value: item }));
    });
    const calls = [1, 2, 3].map((n) => batcher.submit(store, clock, "1", n));
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected", "rejected"]);
    fail = false;
    await expect(batcher.submit(store, clock, "1", 7)).resolves.toBe(7);
  });

  it("GIVEN a batch that loses an outcome THEN that call is rejected rather than left hanging", async () => {
    const batcher = new GuildBatcher<number, number>(async () => []);
    await expect(batcher.submit(memoryStore(silentLogger()), clock, "1", 1)).rejects.toThrow(
      "batch lost a result",
    );
  });

  it("GIVEN a batch and a locked section of the same guild THEN they never interleave", async () => {
    const store = memoryStore(silentLogger());
    const order: string[] = [];
    const batcher = new GuildBatcher<number, number>(async (_store, _clock, _guild, items) => {
      order.push("batch start");
      await turn();
      order.push("batch end");
      return items.map((item) => ({ ok: true, value: item }));
    });
    const work = [
      batcher.submit(store, clock, "1", 1),
      store.locked("1", async () => {
        order.push("section start");
        await turn();
        order.push("section end");
      }),
      batcher.submit(store, clock, "1", 2),
    ];
    await Promise.all(work);
    expect(order).toHaveLength(4);
    for (let i = 0; i < order.length; i += 2) {
      expect(order[i]?.replace(" start", "")).toBe(order[i + 1]?.replace(" end", ""));
    }
  });

  it("GIVEN calls one after another, each awaiting the last THEN none waits to gather", async () => {
    const store = memoryStore(silentLogger());
    // A gathering wait would time this test out.
    const batcher = new GuildBatcher<number, number>(async (_s, _c, _g, items) => {
      await turn();
      return items.map((item) => ({ ok: true, value: item }));
    }, 60_000);
    for (let n = 0; n < 20; n += 1) expect(await batcher.submit(store, clock, "1", n)).toBe(n);
  });

  it("GIVEN a call arriving while a batch runs THEN its batch waits the gathering time after that one, and takes the calls arriving meanwhile", async () => {
    const store = memoryStore(silentLogger());
    const batches: number[][] = [];
    let finishFirst: () => void = () => {};
    const firstRunning = new Promise<void>((resolve) => {
      finishFirst = resolve;
    });
    const batcher = new GuildBatcher<number, number>(async (_s, _c, _g, items) => {
      batches.push([...items]);
      if (batches.length === 1) await firstRunning;
      return items.map((item) => ({ ok: true, value: item }));
    }, 200);
    const first = batcher.submit(store, clock, "1", 1);
    await turn();
    const second = batcher.submit(store, clock, "1", 2); // arrives under load
    finishFirst();
    await first;
    const finished = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(batches).toEqual([[1]]); // still gathering
    const third = batcher.submit(store, clock, "1", 3);
    await expect(Promise.all([second, third])).resolves.toEqual([2, 3]);
    expect(batches).toEqual([[1], [2, 3]]);
    expect(Date.now() - finished).toBeGreaterThanOrEqual(190);
  });
});
