import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Keyv from "keyv";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { UserError } from "../../src/discord/errors.js";
import { setupGuild } from "../../src/guild/config.js";
import { setMemberTimezone } from "../../src/guild/members.js";
import { silentLogger } from "../../src/log.js";
import {
  cancelPair,
  claimDelivery,
  claimDueFollowUps,
  DAY_MS,
  dismissPartnerLeft,
  dissolvePair,
  EXPIRED_UNANNOUNCED_KEPT,
  expireRequests,
  getPair,
  MEMBERSHIP_FRESH_MS,
  MEMBERSHIP_LOOKUPS_MAX,
  pairHistory,
  pairStats,
  pairStatus,
  pausePairing,
  pendingDeliveries,
  recordAnswer,
  recordDelivery,
  refreshWaitingZones,
  releaseFollowUp,
  requestPair,
  requirePairMember,
  resumePaused,
  runRound,
  stillWaiting,
  takeExpiredUnannounced,
  updatePairSettings,
} from "../../src/pairing/pairing.js";
import {
  FOLLOW_UP_MS,
  PairingStateSchema,
  PairMemberSchema,
  type PoolEntry,
  pairKey,
  pairMemberKey,
  pairSettingsKey,
  pairStateKey,
} from "../../src/pairing/schema.js";
import { RETRY_TRIES_MAX, retryDelay } from "../../src/retry.js";
import { deserialize, serialize } from "../../src/store/codec.js";
import { memoryStore, openStore } from "../../src/store/open.js";
import type { DurableSqliteAdapter } from "../../src/store/sqlite.js";
import { KeyvStore } from "../../src/store/store.js";
import { GatedBackend } from "../support/gated-backend.js";

const G = "1000";
const T0 = Date.UTC(2026, 0, 15, 12);
const dirs: string[] = [];
const stores: KeyvStore[] = [];

function setup(): { store: KeyvStore; clock: ManualClock } {
  return { store: memoryStore(silentLogger()), clock: new ManualClock(T0) };
}

async function sqliteStore(): Promise<KeyvStore> {
  const dir = mkdtempSync(join(tmpdir(), "nexus-pair-"));
  dirs.push(dir);
  const store = await openStore(`sqlite://${join(dir, "db.sqlite")}`, silentLogger());
  stores.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close().catch(() => undefined)));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function state(store: KeyvStore) {
  return (await store.get(pairStateKey(G), PairingStateSchema)) ?? PairingStateSchema.parse({});
}

/** Writes a pool directly (for round scenarios where instant matching would otherwise pair people). */
async function seedPool(store: KeyvStore, entries: PoolEntry[]): Promise<void> {
  const current = await state(store);
  await store.set(pairStateKey(G), PairingStateSchema, { ...current, pool: entries });
}

const waitingEntry = (user: string, role: PoolEntry["role"], extra: Partial<PoolEntry> = {}): PoolEntry => ({
  user,
  role,
  topic: null,
  tz: "UTC",
  at: T0 - DAY_MS,
  seenAt: T0,
  ...extra,
});

describe("keys", () => {
  it("GIVEN a guild THEN pairing records live under its pair prefix", () => {
    expect(pairStateKey(G)).toBe("guild:1000:pair:state");
    expect(pairSettingsKey(G)).toBe("guild:1000:pair:settings");
    expect(pairMemberKey(G, "42")).toBe("guild:1000:pair:member:42");
    expect(pairKey(G, 7)).toBe("guild:1000:pair:pair:7");
  });
});

describe("requirePairMember", () => {
  it("GIVEN a pair WHEN a member tags an entry with it THEN it is accepted, and refused for anyone else", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    expect((await requirePairMember(store, G, 1, "2")).id).toBe(1);
    await expect(requirePairMember(store, G, 1, "3")).rejects.toThrow(/not in pair #1/);
    await expect(requirePairMember(store, G, 9, "1")).rejects.toBeInstanceOf(UserError);
  });
});

describe("requestPair", () => {
  it("GIVEN nobody waiting WHEN a backend learner requests THEN the request waits and the counts say so", async () => {
    const { store, clock } = setup();
    const result = await requestPair(store, clock, G, { userId: "1", role: "backend", topic: "django" });
    expect(result).toMatchObject({ kind: "waiting", role: "backend", waiting: { backend: 1, frontend: 0 } });
    expect((await state(store)).pool).toEqual([
      { user: "1", role: "backend", topic: "Django", tz: "UTC", at: T0, seenAt: T0 },
    ]);
  });

  it("GIVEN a backend waiting WHEN a frontend requests THEN both are paired at once", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend", note: "I like <@&5> Django" });
    clock.advance(60_000);
    const result = await requestPair(store, clock, G, { userId: "2", role: "frontend", topic: "Docker" });
    expect(result.kind).toBe("matched");
    if (result.kind !== "matched") return;
    expect(result.partner).toBe("1");
    expect(result.pair).toMatchObject({
      id: 1,
      via: "request",
      backend: { user: "1", note: "I like <@&5> Django", requestedAt: T0 },
      frontend: { user: "2", topic: "Docker", note: null },
      delivery: { state: "delivering" },
    });
    const s = await state(store);
    expect(s.pool).toEqual([]);
    expect(s.nextPairId).toBe(2);
    expect(s.stats).toMatchObject({ requests: 2, matches: 1 });
    const m1 = await store.get(pairMemberKey(G, "1"), PairMemberSchema);
    expect(m1?.history).toEqual([{ pairId: 1, partner: "2", role: "backend", at: T0 + 60_000 }]);
    expect(m1?.note).toBeNull();
    expect(await getPair(store, G, 1)).toEqual(result.pair);
  });

  it("GIVEN an open request WHEN the member requests again THEN it is refused and nothing changes", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await expect(requestPair(store, clock, G, { userId: "1", role: "frontend" })).rejects.toThrow(
      /already have an open request/,
    );
    expect((await state(store)).pool).toHaveLength(1);
  });

  it("GIVEN bad input THEN each rule is named", async () => {
    const { store, clock } = setup();
    await expect(requestPair(store, clock, G, { userId: "1", role: "designer" })).rejects.toThrow(/backend/);
    await expect(
      requestPair(store, clock, G, { userId: "1", role: "backend", topic: "Cobol" }),
    ).rejects.toThrow(UserError);
    await expect(
      requestPair(store, clock, G, { userId: "1", role: "backend", note: "x".repeat(301) }),
    ).rejects.toThrow(/300 characters; yours has 301/);
    expect((await state(store)).pool).toEqual([]);
  });

  it("GIVEN a note of 300 characters as Discord counts them, emoji included THEN it is kept through the pair; 301 is refused", async () => {
    const { store, clock } = setup();
    const note = `Evenings ${"🌙".repeat(291)}`; // 300 characters, 591 UTF-16 units
    await expect(
      requestPair(store, clock, G, { userId: "1", role: "backend", note: `${note}🌙` }),
    ).rejects.toThrow(/yours has 301/);
    await requestPair(store, clock, G, { userId: "1", role: "backend", note });
    expect((await pairStatus(store, clock, G, "1")).open?.note).toBe(note);
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    expect((await getPair(store, G, 1))?.backend.note).toBe(note);
  });

  it("GIVEN two learners paired 27 days ago WHEN both request again THEN they wait; after 28 days they pair", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    clock.advance(27 * DAY_MS);
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    const again = await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    expect(again).toMatchObject({ kind: "waiting", recentlyPaired: 1, waiting: { backend: 1, frontend: 1 } });
    await cancelPair(store, clock, G, "2");
    clock.advance(DAY_MS);
    const later = await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    expect(later.kind).toBe("matched");
  });

  it("GIVEN an admin shortened the recency window to 1 day THEN the same two pair again after a day", async () => {
    const { store, clock } = setup();
    await updatePairSettings(store, clock, G, { recencyDays: 1, by: "9" });
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    clock.advance(DAY_MS);
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    expect((await requestPair(store, clock, G, { userId: "2", role: "frontend" })).kind).toBe("matched");
  });

  it("GIVEN frontends with and without the requester's topic THEN the one sharing the topic is chosen", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "10", role: "frontend" });
    await requestPair(store, clock, G, { userId: "11", role: "frontend", topic: "GraphQL" });
    const result = await requestPair(store, clock, G, { userId: "1", role: "backend", topic: "graphql" });
    expect(result.kind === "matched" && result.partner).toBe("11");
  });

  it("GIVEN members' own time zones THEN the frontend closest to the backend's offset is chosen", async () => {
    const { store, clock } = setup();
    await setMemberTimezone(store, clock, G, "10", "America/New_York");
    await setMemberTimezone(store, clock, G, "11", "Europe/Berlin");
    await setMemberTimezone(store, clock, G, "1", "Africa/Lagos");
    await requestPair(store, clock, G, { userId: "10", role: "frontend" });
    clock.advance(1000);
    await requestPair(store, clock, G, { userId: "11", role: "frontend" });
    const result = await requestPair(store, clock, G, { userId: "1", role: "backend" });
    expect(result.kind === "matched" && result.partner).toBe("11");
    expect(result.kind === "matched" && result.pair.backend.tz).toBe("Africa/Lagos");
  });

  it("GIVEN a member without a zone of their own THEN the guild's zone is used", async () => {
    const { store, clock } = setup();
    await setupGuild(store, clock, G, { channelId: "77", timezone: "Asia/Kolkata", by: "9" });
    await setMemberTimezone(store, clock, G, "2", "Europe/Paris");
    await Promise.all([
      requestPair(store, clock, G, { userId: "1", role: "backend" }),
      requestPair(store, clock, G, { userId: "2", role: "backend" }),
    ]);
    expect((await state(store)).pool.map((e) => [e.user, e.tz])).toEqual([
      ["1", "Asia/Kolkata"],
      ["2", "Europe/Paris"],
    ]);
  });

  it("GIVEN a stale waiting candidate who left the guild THEN they are dropped and the next one is chosen", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "10", role: "frontend", topic: "Docker" });
    await requestPair(store, clock, G, { userId: "11", role: "frontend" });
    clock.advance(MEMBERSHIP_FRESH_MS + 1);
    const checked: string[] = [];
    const isStillMember = async (id: string) => {
      checked.push(id);
      return id !== "10";
    };
    const result = await requestPair(
      store,
      clock,
      G,
      { userId: "1", role: "backend", topic: "Docker" },
      isStillMember,
    );
    expect(result.kind === "matched" && result.partner).toBe("11");
    expect(checked).toEqual(["10", "11"]);
    const s = await state(store);
    expect(s.pool).toEqual([]);
    expect(s.stats.departed).toBe(1);
  });

  it("GIVEN three candidates not seen for a while who have all left WHEN a request is matched THEN at most two membership checks hold the guild's lock, and the third is paired unchecked", async () => {
    const { store, clock } = setup();
    for (const id of ["10", "11", "12"]) {
      await requestPair(store, clock, G, { userId: id, role: "frontend" });
      clock.advance(1000);
    }
    clock.advance(MEMBERSHIP_FRESH_MS + 1);
    const checked: string[] = [];
    const result = await requestPair(store, clock, G, { userId: "1", role: "backend" }, async (id) => {
      checked.push(id);
      return false;
    });
    expect(checked).toHaveLength(MEMBERSHIP_LOOKUPS_MAX);
    expect(result.kind === "matched" && result.partner).toBe("12");
    expect((await state(store)).stats.departed).toBe(2);
  });

  it("GIVEN a candidate who asked a minute ago THEN no membership check is made", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "10", role: "frontend" });
    clock.advance(60_000);
    let calls = 0;
    const result = await requestPair(store, clock, G, { userId: "1", role: "backend" }, async () => {
      calls++;
      return false;
    });
    expect(result.kind).toBe("matched");
    expect(calls).toBe(0);
  });

  it("GIVEN the membership check fails (network) THEN the candidate is kept and paired", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "10", role: "frontend" });
    clock.advance(DAY_MS);
    const result = await requestPair(store, clock, G, { userId: "1", role: "backend" }, async () => {
      throw new Error("ECONNRESET");
    });
    expect(result.kind).toBe("matched");
  });
});

describe.each([
  ["memory", async () => memoryStore(silentLogger())],
  ["sqlite", () => sqliteStore()],
])("500 concurrent requests over %s", (_name, open) => {
  it("GIVEN 250 backend and 250 frontend requests at once THEN 250 pairs form, nobody twice, nothing lost", async () => {
    const store = await open();
    const clock = new ManualClock(T0);
    const ids = Array.from({ length: 500 }, (_, i) => String(1000 + i));
    const results = await Promise.all(
      ids.map((userId, i) =>
        requestPair(store, clock, G, { userId, role: i % 2 === 0 ? "backend" : "frontend" }),
      ),
    );
    const s = await state(store);
    expect(s.pool).toEqual([]);
    expect(s.stats).toMatchObject({ requests: 500, matches: 250 });
    expect(results.filter((r) => r.kind === "matched")).toHaveLength(250);
    const pairs = await store.getMany(
      Array.from({ length: 250 }, (_, i) => pairKey(G, i + 1)),
      (await import("../../src/pairing/schema.js")).PairSchema,
    );
    const users = pairs.flatMap((pair) => (pair ? [pair.backend.user, pair.frontend.user] : []));
    expect(users).toHaveLength(500);
    expect(new Set(users)).toEqual(new Set(ids));
    for (const pair of pairs) expect(Number(pair?.backend.user) % 2).toBe(0);
  });
});

describe("refreshWaitingZones", () => {
  it("GIVEN a frontend waiting since before they set their own zone WHEN their request is refreshed THEN a backend is matched and introduced by the new zone", async () => {
    const { store, clock } = setup();
    await setMemberTimezone(store, clock, G, "1", "Africa/Lagos"); // UTC+1 in January
    await setMemberTimezone(store, clock, G, "11", "America/New_York");
    await requestPair(store, clock, G, { userId: "10", role: "frontend" }); // the guild's UTC
    await requestPair(store, clock, G, { userId: "11", role: "frontend" });
    await setMemberTimezone(store, clock, G, "11", "Europe/Berlin"); // UTC+1, while waiting
    expect(await refreshWaitingZones(store, clock, G, ["11"])).toBe(1);
    const result = await requestPair(store, clock, G, { userId: "1", role: "backend" });
    expect(result.kind === "matched" && [result.partner, result.pair.frontend.tz]).toEqual([
      "11",
      "Europe/Berlin",
    ]);
  });

  it("GIVEN members waiting with and without a zone of their own WHEN the guild's zone changes and all are refreshed THEN only those without one take it", async () => {
    const { store, clock } = setup();
    await setupGuild(store, clock, G, { channelId: "77", by: "9" });
    await setMemberTimezone(store, clock, G, "11", "America/New_York");
    await requestPair(store, clock, G, { userId: "10", role: "frontend" });
    await requestPair(store, clock, G, { userId: "11", role: "frontend" });
    await pausePairing(store, clock, G, "10", 2);
    await setupGuild(store, clock, G, { channelId: "77", timezone: "Asia/Kolkata", by: "9" });
    expect(await refreshWaitingZones(store, clock, G)).toBe(1);
    expect((await state(store)).pool.map((e) => [e.user, e.tz])).toEqual([
      ["10", "Asia/Kolkata"], // paused, still waiting
      ["11", "America/New_York"],
    ]);
  });

  it("GIVEN zones that did not change, or nobody waiting WHEN requests are refreshed THEN nothing is written", async () => {
    const { store, clock } = setup();
    await setMemberTimezone(store, clock, G, "11", "Europe/Berlin");
    const set = vi.spyOn(store.keyv, "set");
    expect(await refreshWaitingZones(store, clock, G)).toBe(0); // a guild new to pairing: no state saved
    expect(await store.get(pairStateKey(G), PairingStateSchema)).toBeUndefined();
    await requestPair(store, clock, G, { userId: "10", role: "frontend" });
    await requestPair(store, clock, G, { userId: "11", role: "frontend" });
    set.mockClear();
    expect(await refreshWaitingZones(store, clock, G)).toBe(0);
    expect(await refreshWaitingZones(store, clock, G, ["11", "12"])).toBe(0);
    expect(set).not.toHaveBeenCalled();
  });
});

describe("batching", () => {
  it("GIVEN a batch waiting for its commit WHEN more requests arrive THEN they wait and go together in the next batch", async () => {
    const backend = new GatedBackend();
    const store = new KeyvStore(new Keyv({ store: backend, namespace: "nexus" }), silentLogger());
    const stateWrites = () => backend.writes.get(`nexus:${pairStateKey(G)}`) ?? 0;
    const clock = new ManualClock(T0);
    await store.set(pairStateKey(G), PairingStateSchema, PairingStateSchema.parse({})); // not through the gate
    const first = requestPair(store, clock, G, { userId: "1", role: "backend" });
    await vi.waitFor(() => expect(backend.pending).toBeGreaterThan(0));
    expect(stateWrites()).toBe(1);
    // Arriving one per turn while the first batch's commit is pending: none of them starts a batch.
    const later: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i++) {
      later.push(
        requestPair(store, clock, G, { userId: String(10 + i), role: i % 2 ? "backend" : "frontend" }),
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(stateWrites()).toBe(1);
    backend.release();
    await first;
    await vi.waitFor(() => expect(backend.pending).toBeGreaterThan(0));
    backend.release();
    const results = await Promise.all(later);
    expect(stateWrites()).toBe(2);
    expect(results.map((r) => (r as { kind: string }).kind)).toEqual([
      "matched", // with the waiting backend "1"
      "waiting",
      "matched",
      "waiting",
      "matched",
      "waiting",
    ]);
  });
  it("GIVEN a request on SQLite THEN the batch reads everything it needs in one statement", async () => {
    const store = await sqliteStore();
    const clock = new ManualClock(T0);
    await store.set(pairStateKey(G), PairingStateSchema, PairingStateSchema.parse({}));
    const adapter = store.keyv.store as DurableSqliteAdapter;
    const before = adapter.readStatements;
    // State, pair settings, the member's pairing record, their settings and the guild config (zone).
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    expect(adapter.readStatements - before).toBe(1);
  });
});

describe("status, cancel, history, pause", () => {
  it("GIVEN an open request THEN status shows it with its expiry and the waiting counts", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend", topic: "Docker", note: "evenings" });
    const status = await pairStatus(store, clock, G, "1");
    expect(status.open).toEqual({
      role: "backend",
      topic: "Docker",
      note: "evenings",
      at: T0,
      expiresAt: T0 + 7 * DAY_MS,
      pausedUntil: null,
    });
    expect(status.waiting).toEqual({ backend: 1, frontend: 0, paused: 0 });
  });

  it("GIVEN an open request WHEN cancelled THEN it leaves the pool", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    expect((await cancelPair(store, clock, G, "1")).kind).toBe("cancelled");
    expect((await state(store)).pool).toEqual([]);
    expect((await state(store)).stats.cancelled).toBe(1);
    expect((await cancelPair(store, clock, G, "1")).kind).toBe("none");
  });

  it("GIVEN a member already matched WHEN they cancel THEN the answer is 'matched' with the pair", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    const result = await cancelPair(store, clock, G, "2");
    expect(result.kind).toBe("matched");
    expect(result.kind === "matched" && result.pair.id).toBe(1);
    expect((await pairStats(store, clock, G)).stats.matches).toBe(1);
  });

  it("GIVEN three pairs over time THEN history lists them newest first", async () => {
    const { store, clock } = setup();
    for (const partner of ["2", "3", "4"]) {
      await requestPair(store, clock, G, { userId: "1", role: "backend" });
      await requestPair(store, clock, G, { userId: partner, role: "frontend" });
      clock.advance(DAY_MS);
    }
    const history = await pairHistory(store, clock, G, "1");
    expect(history.items.map((item) => item.partner)).toEqual(["4", "3", "2"]);
    expect(history.total).toBe(3);
    expect((await pairHistory(store, clock, G, "4")).items.map((item) => item.role)).toEqual(["frontend"]);
  });

  it("GIVEN 30 pairs a week apart (old ones forgotten) and one undone THEN history's total counts the 29 the member had", async () => {
    const { store, clock } = setup();
    for (let i = 0; i < 30; i += 1) {
      await requestPair(store, clock, G, { userId: String(5000 + i), role: "frontend" });
      expect((await requestPair(store, clock, G, { userId: "1", role: "backend" })).kind).toBe("matched");
      clock.advance(7 * DAY_MS);
    }
    const history = await pairHistory(store, clock, G, "1");
    expect(history.items).toHaveLength(20);
    expect(history.total).toBe(30);
    await dissolvePair(store, clock, G, 30, "5029");
    expect((await pairHistory(store, clock, G, "1")).total).toBe(29);
  });

  it("GIVEN a paused request WHEN a complementary learner requests THEN it is not matched", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    const paused = await pausePairing(store, clock, G, "1", 3);
    expect(paused.until).toBe(T0 + 3 * DAY_MS);
    const result = await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    expect(result).toMatchObject({ kind: "waiting", waiting: { backend: 0, frontend: 1, paused: 1 } });
  });

  it("GIVEN a pause that ends WHEN the job runs THEN the request resumes by itself and is matched", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await pausePairing(store, clock, G, "1", 2);
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    clock.advance(DAY_MS);
    expect(await resumePaused(store, clock, G)).toEqual([]);
    clock.advance(DAY_MS);
    const pairs = await resumePaused(store, clock, G);
    expect(pairs.map((p) => [p.backend.user, p.frontend.user, p.via])).toEqual([["1", "2", "resume"]]);
    expect((await state(store)).pool).toEqual([]);
  });

  it("GIVEN two former partners both waiting WHEN the recency window ends THEN the job pairs them (before their requests expire)", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    clock.advance(27 * DAY_MS);
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    expect(await requestPair(store, clock, G, { userId: "2", role: "frontend" })).toMatchObject({
      kind: "waiting",
      recentlyPaired: 1,
    });
    clock.advance(DAY_MS - 60_000);
    const before = await state(store);
    expect(await resumePaused(store, clock, G)).toEqual([]);
    expect(await state(store)).toEqual(before);
    clock.advance(60_000);
    const pairs = await resumePaused(store, clock, G);
    expect(pairs.map((p) => [p.id, p.backend.user, p.frontend.user, p.via, p.delivery.state])).toEqual([
      [2, "1", "2", "queue", "delivering"],
    ]);
    expect((await state(store)).pool).toEqual([]);
  });

  it("GIVEN former partners waiting WHEN an admin shortens the recency window THEN the next job pass pairs them", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    clock.advance(2 * DAY_MS);
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    expect(await resumePaused(store, clock, G)).toEqual([]);
    await updatePairSettings(store, clock, G, { recencyDays: 1, by: "9" });
    clock.advance(60_000);
    const pairs = await resumePaused(store, clock, G);
    expect(pairs.map((p) => [p.backend.user, p.frontend.user])).toEqual([["1", "2"]]);
  });

  it("GIVEN a backend kept from two former partners WHEN both blocks have lapsed THEN the job pairs it with the one sharing its topic", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await requestPair(store, clock, G, { userId: "10", role: "frontend" });
    clock.advance(DAY_MS);
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await requestPair(store, clock, G, { userId: "11", role: "frontend" });
    clock.advance(26 * DAY_MS);
    // The backend asks first: the oldest request is matched first, as the instant match would have.
    await requestPair(store, clock, G, { userId: "1", role: "backend", topic: "Docker" });
    await requestPair(store, clock, G, { userId: "10", role: "frontend" });
    const waiting = await requestPair(store, clock, G, { userId: "11", role: "frontend", topic: "Docker" });
    expect(waiting).toMatchObject({ kind: "waiting", recentlyPaired: 1 });
    clock.advance(2 * DAY_MS);
    const pairs = await resumePaused(store, clock, G);
    expect(pairs.map((p) => [p.backend.user, p.frontend.user])).toEqual([["1", "11"]]);
    expect((await state(store)).pool.map((e) => e.user)).toEqual(["10"]);
  });

  it("GIVEN former partners waiting WHEN the window ends but the partner has left the guild THEN the job drops them instead of pairing", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    clock.advance(27 * DAY_MS);
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    clock.advance(DAY_MS);
    const checked: string[] = [];
    const isStillMember = async (id: string) => {
      checked.push(id);
      return id !== "2";
    };
    expect(await resumePaused(store, clock, G, isStillMember)).toEqual([]);
    expect(checked).toEqual(["2"]);
    const s = await state(store);
    expect(s.pool.map((e) => e.user)).toEqual(["1"]);
    expect(s.stats.departed).toBe(1);
  });

  it("GIVEN a paused member WHEN they request again THEN the pause lifts, keeping their place", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await pausePairing(store, clock, G, "1", 10);
    clock.advance(DAY_MS);
    const result = await requestPair(store, clock, G, { userId: "1", role: "backend", topic: "Docker" });
    expect(result).toMatchObject({ kind: "waiting", resumed: true, waiting: { backend: 1, paused: 0 } });
    expect((await state(store)).pool[0]).toMatchObject({ at: T0, topic: "Docker" });
    expect((await state(store)).stats.requests).toBe(1);
  });

  it("GIVEN a request with a topic and a note, paused WHEN the member resumes it with the role alone THEN the topic and note are kept; new ones replace them", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend", topic: "Docker", note: "Evenings" });
    await pausePairing(store, clock, G, "1", 3);
    const resumed = await requestPair(store, clock, G, { userId: "1", role: "backend" });
    expect(resumed).toMatchObject({ kind: "waiting", resumed: true, topic: "Docker", hasNote: true });
    expect((await pairStatus(store, clock, G, "1")).open).toMatchObject({
      topic: "Docker",
      note: "Evenings",
    });
    await pausePairing(store, clock, G, "1", 3);
    await requestPair(store, clock, G, { userId: "1", role: "backend", topic: "Django", note: "Mornings" });
    expect((await pairStatus(store, clock, G, "1")).open).toMatchObject({
      topic: "Django",
      note: "Mornings",
    });
    await pausePairing(store, clock, G, "1", 3);
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    const matched = await requestPair(store, clock, G, { userId: "1", role: "backend" });
    expect(matched).toMatchObject({ kind: "matched", resumed: true, topic: "Django", hasNote: true });
    expect(matched.kind === "matched" && matched.pair.backend).toMatchObject({
      topic: "Django",
      note: "Mornings",
    });
  });

  it("GIVEN no open request WHEN pausing THEN it is refused; bad day counts are refused", async () => {
    const { store, clock } = setup();
    await expect(pausePairing(store, clock, G, "1", 5)).rejects.toThrow(/no open request/);
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await expect(pausePairing(store, clock, G, "1", 0)).rejects.toThrow(/1 to 60/);
    await expect(pausePairing(store, clock, G, "1", 61)).rejects.toThrow(/1 to 60/);
  });
});

describe("expiry", () => {
  it("GIVEN a request older than 7 days THEN it leaves the pool and the member is told once", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "frontend" });
    clock.advance(7 * DAY_MS - 1);
    expect(await expireRequests(store, clock, G)).toBe(0);
    clock.advance(1);
    expect(await expireRequests(store, clock, G)).toBe(1);
    expect((await state(store)).pool).toEqual([]);
    const first = await pairStatus(store, clock, G, "1");
    expect(first.notices).toEqual([{ kind: "expired", at: T0 + 7 * DAY_MS, role: "frontend" }]);
    expect((await pairStatus(store, clock, G, "1")).notices).toEqual([]);
    expect((await pairStats(store, clock, G)).stats.expired).toBe(1);
  });

  it("GIVEN an expired request and no job run WHEN a backend requests THEN the expired one is not matched", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "frontend" });
    clock.advance(8 * DAY_MS);
    const result = await requestPair(store, clock, G, { userId: "2", role: "backend" });
    expect(result.kind).toBe("waiting");
    const back = await requestPair(store, clock, G, { userId: "1", role: "frontend" });
    expect(back.notices.map((n) => n.kind)).toEqual(["expired"]);
    expect(back.kind).toBe("matched");
  });

  it("GIVEN requests expired by the job and by a command THEN each member is handed out for the announcement once", async () => {
    const { store, clock } = setup();
    expect(await takeExpiredUnannounced(store, clock, G)).toEqual({ users: [], expiryDays: 0 });
    await updatePairSettings(store, clock, G, { expiryDays: 3, by: "9" });
    await requestPair(store, clock, G, { userId: "1", role: "frontend" });
    clock.advance(3 * DAY_MS);
    expect(await expireRequests(store, clock, G)).toBe(1);
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    clock.advance(3 * DAY_MS);
    // Expired inside another member's request, not by the job.
    await requestPair(store, clock, G, { userId: "3", role: "backend" });
    // "4" expired too but is back in the queue before the announcement: not named.
    await requestPair(store, clock, G, { userId: "4", role: "backend" });
    clock.advance(3 * DAY_MS);
    await requestPair(store, clock, G, { userId: "4", role: "backend" });
    expect(await takeExpiredUnannounced(store, clock, G)).toEqual({ users: ["1", "2", "3"], expiryDays: 3 });
    expect(await takeExpiredUnannounced(store, clock, G)).toEqual({ users: [], expiryDays: 0 });
    expect((await state(store)).expiredUnannounced).toEqual([]);
    // The notice on the member's next /pair is still there.
    expect((await pairStatus(store, clock, G, "1")).notices.map((n) => n.kind)).toEqual(["expired"]);
  });

  it("GIVEN more expired requests than the announcements name THEN the newest are kept, each once", async () => {
    const { store, clock } = setup();
    const users = Array.from({ length: EXPIRED_UNANNOUNCED_KEPT + 50 }, (_, i) => String(1000 + i));
    for (const userId of users) await requestPair(store, clock, G, { userId, role: "frontend" });
    clock.advance(7 * DAY_MS);
    expect(await expireRequests(store, clock, G)).toBe(users.length);
    await requestPair(store, clock, G, { userId: users.at(-1) as string, role: "frontend" });
    clock.advance(7 * DAY_MS);
    expect(await expireRequests(store, clock, G)).toBe(1);
    const { users: named } = await takeExpiredUnannounced(store, clock, G);
    expect(named).toEqual(users.slice(-EXPIRED_UNANNOUNCED_KEPT));
  });

  it("GIVEN a paused request THEN the expiry counts from the end of the pause", async () => {
    const { store, clock } = setup();
    await updatePairSettings(store, clock, G, { expiryDays: 3, by: "9" });
    await requestPair(store, clock, G, { userId: "1", role: "frontend" });
    await pausePairing(store, clock, G, "1", 5);
    clock.advance(7 * DAY_MS);
    expect(await expireRequests(store, clock, G)).toBe(0);
    clock.advance(DAY_MS);
    expect(await expireRequests(store, clock, G)).toBe(1);
  });

  it("GIVEN a pause that ends by itself after longer than the expiry THEN the expiry counts from its end and the request keeps its place", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await pausePairing(store, clock, G, "1", 10);
    const expiresAt = T0 + 17 * DAY_MS;
    expect((await pairStatus(store, clock, G, "1")).open?.expiresAt).toBe(expiresAt);
    clock.advance(10 * DAY_MS);
    expect(await resumePaused(store, clock, G)).toEqual([]);
    clock.advance(60_000); // the next pairing pass
    expect(await expireRequests(store, clock, G)).toBe(0);
    expect((await pairStatus(store, clock, G, "1")).open).toMatchObject({
      at: T0,
      expiresAt,
      pausedUntil: null,
    });
    expect((await pairStats(store, clock, G)).waiting).toEqual({ backend: 1, frontend: 0, paused: 0 });
    await requestPair(store, clock, G, { userId: "3", role: "backend" });
    clock.advance(expiresAt - 1 - clock.now());
    expect(await expireRequests(store, clock, G)).toBe(0);
    const matched = await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    expect(matched.kind === "matched" && matched.partner).toBe("1"); // still ahead of "3"
  });

  it("GIVEN a member who lifts their pause with /pair request THEN the expiry counts from that moment", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await pausePairing(store, clock, G, "1", 10);
    clock.advance(8 * DAY_MS);
    const result = await requestPair(store, clock, G, { userId: "1", role: "backend" });
    const liftedAt = clock.now();
    expect(result).toMatchObject({ kind: "waiting", resumed: true, expiresAt: liftedAt + 7 * DAY_MS });
    expect((await state(store)).pool[0]?.at).toBe(T0);
    clock.advance(7 * DAY_MS - 1);
    expect(await expireRequests(store, clock, G)).toBe(0);
    expect((await pairStatus(store, clock, G, "1")).open?.expiresAt).toBe(liftedAt + 7 * DAY_MS);
    clock.advance(1);
    expect(await expireRequests(store, clock, G)).toBe(1);
  });

  it("GIVEN a request matched near its expiry WHEN the pair is undone THEN the re-queued request waits a full expiry from the undo, keeping its place", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await pausePairing(store, clock, G, "1", 10);
    clock.advance(10 * DAY_MS); // the pause ended, and no pass resumed it yet
    clock.advance(7 * DAY_MS - 60_000); // a minute before the request expires
    const matched = await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    expect(matched.kind === "matched" && matched.partner).toBe("1");
    const undoneAt = clock.now();
    const dissolved = await dissolvePair(store, clock, G, 1, "2");
    expect(dissolved).toEqual({ requeued: "1", rematch: null });
    clock.advance(7 * DAY_MS - 1);
    expect(await expireRequests(store, clock, G)).toBe(0);
    const open = (await pairStatus(store, clock, G, "1")).open;
    expect(open).toMatchObject({ at: T0, expiresAt: undoneAt + 7 * DAY_MS });
    clock.advance(1);
    expect(await expireRequests(store, clock, G)).toBe(1);
  });
});

describe("runRound", () => {
  it("GIVEN 3 backends and 2 frontends waiting THEN 2 pairs form and the leftover is told next time", async () => {
    const { store, clock } = setup();
    await seedPool(store, [
      waitingEntry("101", "backend", { at: T0 - 3 * DAY_MS }),
      waitingEntry("102", "backend", { at: T0 - 2 * DAY_MS }),
      waitingEntry("103", "backend", { at: T0 - 1 * DAY_MS }),
      waitingEntry("201", "frontend"),
      waitingEntry("202", "frontend"),
      waitingEntry("203", "frontend", { pausedUntil: T0 + DAY_MS }),
    ]);
    const outcome = await runRound(store, clock, G);
    expect(outcome.pairs).toHaveLength(2);
    expect(outcome.pairs.every((p) => p.via === "round")).toBe(true);
    expect(outcome.leftover.map((e) => e.user)).toEqual(["103"]);
    expect(outcome.paused).toBe(1);
    const s = await state(store);
    expect(s.pool.map((e) => e.user).sort()).toEqual(["103", "203"]);
    expect(s.stats).toMatchObject({ matches: 2, rounds: 1 });
    expect((await pairStatus(store, clock, G, "103")).notices).toEqual([{ kind: "left-over", at: T0 }]);
    expect((await pairStatus(store, clock, G, "103")).notices).toEqual([]);
  });

  it("GIVEN people paired within the window THEN the round never pairs them again", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "101", role: "backend" });
    await requestPair(store, clock, G, { userId: "201", role: "frontend" });
    clock.advance(DAY_MS);
    await seedPool(store, [
      waitingEntry("101", "backend", { at: clock.now() }),
      waitingEntry("201", "frontend", { at: clock.now() }),
    ]);
    const outcome = await runRound(store, clock, G);
    expect(outcome.pairs).toEqual([]);
    expect(outcome.leftover).toHaveLength(2);
  });

  it("GIVEN notes on waiting members THEN the round's pairs carry them", async () => {
    const { store, clock } = setup();
    await seedPool(store, [waitingEntry("101", "backend"), waitingEntry("201", "frontend")]);
    await store.set(pairMemberKey(G, "101"), PairMemberSchema, { note: "hello", updatedAt: T0 });
    const [pair] = (await runRound(store, clock, G)).pairs;
    expect(pair?.backend.note).toBe("hello");
    expect((await store.get(pairMemberKey(G, "101"), PairMemberSchema))?.note).toBeNull();
  });

  it("GIVEN a round pair undone because a backend left WHEN the frontend is re-matched with the leftover THEN the leftover is no longer among those still waiting", async () => {
    const { store, clock } = setup();
    await seedPool(store, [
      waitingEntry("101", "backend", { at: T0 - 2 * DAY_MS }),
      waitingEntry("102", "backend"),
      waitingEntry("201", "frontend"),
      waitingEntry("202", "frontend", { pausedUntil: T0 + DAY_MS }),
    ]);
    const outcome = await runRound(store, clock, G);
    expect(outcome.leftover.map((e) => e.user)).toEqual(["102"]);
    expect(await stillWaiting(store, clock, G, ["102"])).toEqual({
      users: ["102"],
      waiting: { backend: 1, frontend: 0, paused: 1 },
    });
    expect((await dissolvePair(store, clock, G, 1, "101")).rematch?.backend.user).toBe("102");
    expect(await stillWaiting(store, clock, G, ["102"])).toEqual({
      users: [],
      waiting: { backend: 0, frontend: 0, paused: 1 },
    });
  });
});

describe("follow-ups, answers, deliveries", () => {
  async function paired(store: KeyvStore, clock: ManualClock) {
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    const result = await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    if (result.kind !== "matched") throw new Error("expected a match");
    return result.pair;
  }

  it("GIVEN a match THEN the follow-up is handed out once, 48 h later", async () => {
    const { store, clock } = setup();
    await paired(store, clock);
    clock.advance(FOLLOW_UP_MS - 1);
    expect(await claimDueFollowUps(store, clock, G)).toEqual([]);
    clock.advance(1);
    const [due, ...rest] = await Promise.all([
      claimDueFollowUps(store, clock, G),
      claimDueFollowUps(store, clock, G),
    ]);
    expect(due?.map((p) => p.id)).toEqual([1]);
    expect(rest).toEqual([[]]);
    expect((await getPair(store, G, 1))?.followUpSentAt).toBe(clock.now());
  });

  it("GIVEN a follow-up whose post Discord did not answer WHEN it is handed back THEN it is claimed again after a back-off, still counted as to come, and given up after the last try", async () => {
    const { store, clock } = setup();
    await paired(store, clock);
    clock.advance(FOLLOW_UP_MS);
    expect((await claimDueFollowUps(store, clock, G)).map((p) => p.id)).toEqual([1]);
    for (let attempt = 1; attempt < RETRY_TRIES_MAX; attempt++) {
      expect(await releaseFollowUp(store, clock, G, 1)).toBe(true);
      expect((await getPair(store, G, 1))?.followUpSentAt).toBeNull();
      expect((await pairStats(store, clock, G)).followUpsPending).toBe(1);
      clock.advance(retryDelay(attempt) - 1);
      expect(await claimDueFollowUps(store, clock, G)).toEqual([]);
      clock.advance(1);
      expect((await claimDueFollowUps(store, clock, G)).map((p) => p.id)).toEqual([1]);
    }
    expect(await releaseFollowUp(store, clock, G, 1)).toBe(false);
    expect((await getPair(store, G, 1))?.followUpSentAt).not.toBeNull();
    expect((await pairStats(store, clock, G)).followUpsPending).toBe(0);
    clock.advance(DAY_MS);
    expect(await claimDueFollowUps(store, clock, G)).toEqual([]);
  });

  it("GIVEN answers WHEN both say they met THEN 'pairs that met' counts the pair once; outsiders are refused", async () => {
    const { store, clock } = setup();
    await paired(store, clock);
    await expect(recordAnswer(store, clock, G, 1, "3", "met")).rejects.toThrow(/Only the two members/);
    await expect(recordAnswer(store, clock, G, 9, "1", "met")).rejects.toThrow(/does not exist/);
    expect((await recordAnswer(store, clock, G, 1, "1", "not_yet")).firstMet).toBe(false);
    expect((await recordAnswer(store, clock, G, 1, "1", "met")).firstMet).toBe(true);
    expect((await recordAnswer(store, clock, G, 1, "2", "met")).firstMet).toBe(false);
    expect((await pairStats(store, clock, G)).stats.met).toBe(1);
    expect((await getPair(store, G, 1))?.answers).toEqual({ "1": "met", "2": "met" });
  });

  it("GIVEN two shard processes on one database WHEN a member clicks 'We met' in their DM (handled by shard 0) while the guild's own process matches a pair THEN the match survives, no pair id is reused and the pair counts as met", async () => {
    /** One process's view of the shared database: its own store, so its own (in-process) locks. */
    const shared = new Map<string, unknown>();
    let interleave: (() => Promise<void>) | undefined;
    const view = (onGet?: (key: string) => Promise<void> | undefined) =>
      new (class extends Map<string, unknown> {
        override get(key: string): unknown {
          const pause = onGet?.(key);
          return pause === undefined ? shared.get(key) : pause.then(() => shared.get(key));
        }
        override set(key: string, value: unknown): this {
          shared.set(key, value);
          return this;
        }
        override has(key: string): boolean {
          return shared.has(key);
        }
        override delete(key: string): boolean {
          return shared.delete(key);
        }
      })();
    const processStore = (store: Map<string, unknown>) =>
      new KeyvStore(
        new Keyv({ store, namespace: "nexus", serialize, deserialize, throwOnErrors: true }),
        silentLogger(),
      );
    const clock = new ManualClock(T0);
    const owner = processStore(view()); // the process running the guild's shard
    const shard0 = processStore(
      view((key) => {
        if (interleave === undefined || !key.endsWith(pairKey(G, 1))) return undefined;
        const run = interleave;
        interleave = undefined;
        return run();
      }),
    );
    await paired(owner, clock); // #1: 1 and 2
    await requestPair(owner, clock, G, { userId: "3", role: "backend" });
    clock.advance(FOLLOW_UP_MS);
    // While shard 0 records the click, the guild's process matches 4 with 3: pair #2.
    interleave = async () => {
      const matched = await requestPair(owner, clock, G, { userId: "4", role: "frontend" });
      expect(matched.kind === "matched" && matched.pair.id).toBe(2);
    };
    expect((await recordAnswer(shard0, clock, G, 1, "1", "met")).firstMet).toBe(true);
    expect(interleave).toBeUndefined();
    expect((await state(owner)).nextPairId).toBe(3);
    await requestPair(owner, clock, G, { userId: "5", role: "backend" });
    await requestPair(owner, clock, G, { userId: "6", role: "frontend" });
    const two = await getPair(owner, G, 2);
    expect([two?.backend.user, two?.frontend.user]).toEqual(["3", "4"]);
    expect((await getPair(owner, G, 1))?.metAt).toBe(clock.now());
    expect((await pairStats(owner, clock, G)).stats).toMatchObject({ matches: 3, met: 1 });
  });

  it("GIVEN a round's pairs THEN concurrent delivery claims have exactly one winner each", async () => {
    const { store, clock } = setup();
    await seedPool(store, [waitingEntry("101", "backend"), waitingEntry("201", "frontend")]);
    const [pair] = (await runRound(store, clock, G)).pairs;
    expect(pair?.delivery.state).toBe("pending");
    const claims = await Promise.all([1, 2, 3].map(() => claimDelivery(store, clock, G, 1)));
    expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
    expect(await pendingDeliveries(store, clock, G, 0)).toEqual([]); // being delivered
    clock.advance(10 * 60_000);
    expect(await pendingDeliveries(store, clock, G, 0)).toEqual([1]); // abandoned: retried
    await recordDelivery(store, clock, G, 1, { state: "private", channelId: "50", threadId: "60" });
    expect(await pendingDeliveries(store, clock, G, 0)).toEqual([]);
    expect((await getPair(store, G, 1))?.delivery).toMatchObject({ state: "private", threadId: "60" });
    expect(await claimDelivery(store, clock, G, 1)).toBeUndefined();
    expect((await state(store)).deliveryCursor).toBe(2);
  });

  it("GIVEN a pending round pair younger than the retry age THEN the job leaves it to the round", async () => {
    const { store, clock } = setup();
    await seedPool(store, [waitingEntry("101", "backend"), waitingEntry("201", "frontend")]);
    await runRound(store, clock, G);
    expect(await pendingDeliveries(store, clock, G, 120_000)).toEqual([]);
    clock.advance(120_000);
    expect(await pendingDeliveries(store, clock, G, 120_000)).toEqual([1]);
  });

  it("GIVEN a pair whose introduction Discord did not answer WHEN the job passes THEN it is retried, backing off, as a take-over, and failed after the last try", async () => {
    const { store, clock } = setup();
    await seedPool(store, [waitingEntry("101", "backend"), waitingEntry("201", "frontend")]);
    await runRound(store, clock, G);
    expect(await claimDelivery(store, clock, G, 1)).toMatchObject({ abandoned: false });
    const unanswered = { state: "pending", channelId: null, threadId: null } as const;
    await recordDelivery(store, clock, G, 1, unanswered);
    expect((await getPair(store, G, 1))?.delivery).toMatchObject({ state: "pending", attempts: 1 });
    for (let attempt = 1; attempt < RETRY_TRIES_MAX; attempt++) {
      clock.advance(retryDelay(attempt) - 1);
      expect(await pendingDeliveries(store, clock, G, 120_000)).toEqual([]); // not hammered
      clock.advance(1);
      expect(await pendingDeliveries(store, clock, G, 120_000)).toEqual([1]);
      // The try Discord did not answer may have opened the pair's thread: the retry looks for it.
      expect(await claimDelivery(store, clock, G, 1)).toMatchObject({ abandoned: true });
      await recordDelivery(store, clock, G, 1, unanswered);
    }
    expect((await getPair(store, G, 1))?.delivery).toMatchObject({
      state: "failed",
      attempts: RETRY_TRIES_MAX,
    });
    clock.advance(DAY_MS);
    expect(await pendingDeliveries(store, clock, G, 120_000)).toEqual([]);
    expect((await state(store)).deliveryCursor).toBe(2);
  });

  it("GIVEN one member reached by DM and the other's DM unanswered WHEN later tries reach nobody new THEN the reached member is remembered, and the pair counts as introduced by DM once the tries are spent", async () => {
    const { store, clock } = setup();
    await seedPool(store, [waitingEntry("101", "backend"), waitingEntry("201", "frontend")]);
    await runRound(store, clock, G);
    await claimDelivery(store, clock, G, 1);
    await recordDelivery(store, clock, G, 1, {
      state: "pending",
      channelId: null,
      threadId: null,
      dmSent: ["101"],
    });
    // A later try stopped at a thread Discord did not answer: it sent no DM, and forgets nobody.
    const threadUnanswered = { state: "pending", channelId: null, threadId: null } as const;
    for (let attempt = 1; attempt < RETRY_TRIES_MAX; attempt++) {
      clock.advance(retryDelay(attempt));
      await claimDelivery(store, clock, G, 1);
      await recordDelivery(store, clock, G, 1, threadUnanswered);
      if (attempt === 1)
        expect((await getPair(store, G, 1))?.delivery).toMatchObject({ state: "pending", dmSent: ["101"] });
    }
    expect((await getPair(store, G, 1))?.delivery).toMatchObject({
      state: "dm",
      dmSent: ["101"],
      attempts: RETRY_TRIES_MAX,
    });
  });

  it("GIVEN a request match THEN it is created already claimed by its requester, and retried only if abandoned", async () => {
    const { store, clock } = setup();
    const pair = await paired(store, clock);
    expect(pair.delivery.state).toBe("delivering");
    expect(await claimDelivery(store, clock, G, 1)).toBeUndefined();
    clock.advance(10 * 60_000 - 1);
    expect(await pendingDeliveries(store, clock, G, 0)).toEqual([]);
    clock.advance(1);
    expect(await pendingDeliveries(store, clock, G, 0)).toEqual([1]);
  });

  it("GIVEN a partner who left before the introduction THEN the pair dissolves and the other is re-queued and re-matched", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    clock.advance(1000);
    await requestPair(store, clock, G, { userId: "3", role: "backend" });
    clock.advance(1000);
    const first = await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    expect(first.kind === "matched" && first.partner).toBe("1");
    const dissolvedAt = clock.now();
    const result = await dissolvePair(store, clock, G, 1, "1");
    expect(result.requeued).toBe("2");
    expect(result.rematch).toMatchObject({
      backend: { user: "3" },
      frontend: { user: "2", requestedAt: T0 + 2000 },
    });
    const s = await state(store);
    expect(s.pool).toEqual([]);
    expect(s.stats).toMatchObject({ matches: 1, departed: 1 });
    clock.advance(FOLLOW_UP_MS);
    expect((await claimDueFollowUps(store, clock, G)).map((p) => p.id)).toEqual([2]);
    expect((await getPair(store, G, 1))?.dissolved).toEqual({ at: dissolvedAt, departed: "1" });
    expect((await pairStatus(store, clock, G, "2")).notices).toEqual([
      { kind: "partner-left", at: dissolvedAt, pairId: 1 },
    ]);
    expect((await dissolvePair(store, clock, G, 1, "1")).requeued).toBeNull();
  });

  it("GIVEN a member who changed their zone while paired WHEN their partner leaves THEN they wait again with the new zone", async () => {
    const { store, clock } = setup();
    await setMemberTimezone(store, clock, G, "2", "Asia/Tokyo");
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    await setMemberTimezone(store, clock, G, "2", "America/Chicago");
    expect((await dissolvePair(store, clock, G, 1, "1")).requeued).toBe("2");
    expect((await state(store)).pool).toMatchObject([{ user: "2", tz: "America/Chicago" }]);
  });

  it("GIVEN partner-left notices WHEN the member was told of some pairs in their reply THEN only those notices go", async () => {
    const { store, clock } = setup();
    for (const [userId, role] of [
      ["1", "backend"],
      ["2", "frontend"],
    ] as const) {
      await requestPair(store, clock, G, { userId, role });
    }
    await dissolvePair(store, clock, G, 1, "1"); // "2" waits again, told of pair 1
    await requestPair(store, clock, G, { userId: "3", role: "backend" }); // pair 2: "3" and "2"
    await dissolvePair(store, clock, G, 2, "3"); // told of pair 2 too
    const notices = async () => (await store.get(pairMemberKey(G, "2"), PairMemberSchema))?.notices;
    expect((await notices())?.map((notice) => notice.pairId)).toEqual([1, 2]);
    await dismissPartnerLeft(store, clock, G, "2", [2]);
    expect(await notices()).toEqual([{ kind: "partner-left", at: T0, pairId: 1 }]);
    await dismissPartnerLeft(store, clock, G, "2", [1]);
    expect(await notices()).toEqual([]);
  });

  it("GIVEN a request that expired since the last pass WHEN a dissolved pair's partner is re-matched THEN the expired one is not chosen and is told it expired", async () => {
    const { store, clock } = setup();
    await seedPool(store, [
      waitingEntry("1", "backend", { topic: "Docker" }),
      waitingEntry("2", "frontend", { topic: "Docker" }),
      waitingEntry("3", "frontend", { at: T0 - 7 * DAY_MS + 30_000 }), // expires 30 s after the round
    ]);
    const round = await runRound(store, clock, G);
    expect(round.pairs.map((p) => [p.backend.user, p.frontend.user])).toEqual([["1", "2"]]);
    clock.advance(45_000); // the round's introductions find "2" gone, before the next pass
    const result = await dissolvePair(store, clock, G, 1, "2");
    expect(result).toEqual({ requeued: "1", rematch: null });
    expect((await state(store)).pool.map((entry) => entry.user)).toEqual(["1"]);
    expect((await pairStatus(store, clock, G, "3")).notices.map((n) => n.kind)).toEqual(["expired"]);
    expect(await takeExpiredUnannounced(store, clock, G)).toEqual({ users: ["3"], expiryDays: 7 });
  });

  it("GIVEN a dissolved pair with nobody else waiting THEN the partner waits with their original place", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend", note: "hi" });
    clock.advance(5000);
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    const result = await dissolvePair(store, clock, G, 1, "2");
    expect(result).toEqual({ requeued: "1", rematch: null });
    expect((await state(store)).pool).toMatchObject([{ user: "1", role: "backend", at: T0 }]);
    expect((await pairStatus(store, clock, G, "1")).open?.note).toBe("hi");
  });
});

describe("stats and settings", () => {
  it("GIVEN pairs undone because a member left THEN 'Follow-ups to come' leaves them out, before and after the follow-up pass", async () => {
    const { store, clock } = setup();
    for (const [userId, role] of [
      ["1", "backend"],
      ["2", "frontend"],
      ["3", "backend"],
      ["4", "frontend"],
    ] as const) {
      await requestPair(store, clock, G, { userId, role });
    }
    await dissolvePair(store, clock, G, 1, "2"); // "1" waits again: nobody to rematch
    let stats = await pairStats(store, clock, G);
    expect(stats.stats.matches).toBe(1);
    expect(stats.followUpsPending).toBe(1);
    clock.advance(FOLLOW_UP_MS);
    expect((await claimDueFollowUps(store, clock, G)).map((p) => p.id)).toEqual([2]);
    expect((await state(store)).followUpsDissolved).toBe(0);
    // Undone after the cursor passed it (an introduction that never happened): not counted again.
    await dissolvePair(store, clock, G, 2, "4");
    expect((await state(store)).followUpsDissolved).toBe(0);
    await requestPair(store, clock, G, { userId: "5", role: "frontend" });
    stats = await pairStats(store, clock, G);
    expect(stats.stats.matches).toBe(1);
    expect(stats.followUpsPending).toBe(1);
  });

  it("GIVEN activity THEN stats count requests, matches, met and waiting", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    await requestPair(store, clock, G, { userId: "3", role: "frontend" });
    await recordAnswer(store, clock, G, 1, "2", "met");
    const stats = await pairStats(store, clock, G);
    expect(stats.stats).toMatchObject({ requests: 3, matches: 1, met: 1 });
    expect(stats.waiting).toEqual({ backend: 0, frontend: 1, paused: 0 });
    expect(stats.settings).toMatchObject({ recencyDays: 28, expiryDays: 7 });
  });

  it("GIVEN settings out of range THEN they are refused; none given THEN the current ones come back", async () => {
    const { store, clock } = setup();
    await expect(updatePairSettings(store, clock, G, { recencyDays: 0, by: "9" })).rejects.toThrow(
      /1 to 180/,
    );
    await expect(updatePairSettings(store, clock, G, { expiryDays: 91, by: "9" })).rejects.toThrow(/1 to 90/);
    const saved = await updatePairSettings(store, clock, G, { recencyDays: 14, by: "9" });
    expect(saved).toMatchObject({ recencyDays: 14, expiryDays: 7, updatedBy: "9" });
    expect(await updatePairSettings(store, clock, G, { by: "9" })).toEqual(saved);
  });
});

describe("a lost or damaged state", () => {
  const DAMAGED = "\u0000 corrupted: not what this record should be";

  /** Pairs #1 (1+2) and #2 (3+4), and member 5 waiting as a backend. */
  async function history(store: KeyvStore, clock: ManualClock): Promise<void> {
    for (const [user, role] of [
      ["1", "backend"],
      ["2", "frontend"],
      ["3", "backend"],
      ["4", "frontend"],
      ["5", "backend"],
    ] as const) {
      await requestPair(store, clock, G, { userId: user, role });
      clock.advance(60_000);
    }
  }

  it("GIVEN the state fails its schema WHEN two members are matched THEN the pair gets the next id, pairs #1 and #2 are kept and the damaged copy is quarantined", async () => {
    const { store, clock } = setup();
    await history(store, clock);
    const before = [await getPair(store, G, 1), await getPair(store, G, 2)];
    await store.keyv.set(pairStateKey(G), DAMAGED);
    await requestPair(store, clock, G, { userId: "6", role: "backend" });
    const result = await requestPair(store, clock, G, { userId: "7", role: "frontend" });
    expect(result.kind === "matched" && result.pair.id).toBe(3);
    expect([await getPair(store, G, 1), await getPair(store, G, 2)]).toEqual(before);
    expect((await state(store)).nextPairId).toBe(4);
    const stored = [...(store.keyv.store as Map<string, unknown>).entries()];
    const aside = stored.find(([key]) => key.startsWith(`nexus:quarantine:${pairStateKey(G)}:`));
    expect(aside?.[1]).toContain("corrupted");
  });

  it("GIVEN one waiting request in the state is damaged WHEN the next request comes THEN the other waiting requests and the counters are kept", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend", topic: "django" });
    await requestPair(store, clock, G, { userId: "2", role: "backend" });
    const good = await state(store);
    await store.keyv.set(pairStateKey(G), {
      ...good,
      pool: [{ ...good.pool[0], tz: "" }, good.pool[1]],
      followUpCursor: "one",
    });
    const result = await requestPair(store, clock, G, { userId: "3", role: "frontend" });
    expect(result.kind === "matched" && result.partner).toBe("2");
    const s = await state(store);
    expect(s.pool).toEqual([]);
    expect(s.stats).toMatchObject({ requests: 3, matches: 1 });
    expect(s.nextPairId).toBe(2);
  });

  it("GIVEN the state is lost after a follow-up was handed out WHEN the follow-up job runs THEN no follow-up is handed out twice and due ones still are", async () => {
    const { store, clock } = setup();
    await history(store, clock); // pair #1 at T0 + 1 min, #2 at T0 + 3 min; the clock ends at T0 + 5 min
    clock.advance(FOLLOW_UP_MS - 4 * 60_000);
    expect((await claimDueFollowUps(store, clock, G)).map((p) => p.id)).toEqual([1]);
    await store.delete(pairStateKey(G));
    expect(await claimDueFollowUps(store, clock, G)).toEqual([]);
    clock.advance(2 * 60_000);
    expect((await claimDueFollowUps(store, clock, G)).map((p) => p.id)).toEqual([2]);
    expect((await state(store)).followUpCursor).toBe(3);
  });

  it("GIVEN the state fails its schema WHEN an admin reads /pair stats THEN the pair counter is recovered and nothing is written", async () => {
    const { store, clock } = setup();
    await history(store, clock);
    await store.keyv.set(pairStateKey(G), DAMAGED);
    const set = vi.spyOn(store, "set");
    const stats = await pairStats(store, clock, G);
    expect(stats.followUpsPending).toBe(2); // cursor restarts at 1, next pair id is 3
    expect(set).not.toHaveBeenCalled();
  });

  it("GIVEN a guild new to pairing WHEN a member asks for their status THEN one probe finds no pair and the empty state is saved once", async () => {
    const { store, clock } = setup();
    const getMany = vi.spyOn(store, "getMany");
    expect((await pairStatus(store, clock, G, "1")).open).toBeNull();
    expect(
      getMany.mock.calls.filter(([keys]) => keys.some((key) => key.includes(":pair:pair:"))),
    ).toHaveLength(1);
    expect(await store.get(pairStateKey(G), PairingStateSchema)).toEqual(PairingStateSchema.parse({}));
    getMany.mockClear();
    await pairStatus(store, clock, G, "1");
    expect(
      getMany.mock.calls.filter(([keys]) => keys.some((key) => key.includes(":pair:pair:"))),
    ).toHaveLength(0);
  });
});

describe("a damaged member record", () => {
  /** Pair #1 (1 + 2) an hour ago, then member 1's record damaged (one field no longer valid). */
  async function damagedAfterPair(store: KeyvStore, clock: ManualClock) {
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    const good = await store.get(pairMemberKey(G, "1"), PairMemberSchema);
    await store.keyv.set(pairMemberKey(G, "1"), { ...good, updatedAt: "yesterday" });
    clock.advance(60 * 60_000);
  }

  it("GIVEN a member's pairing record is damaged WHEN they ask again THEN they are not re-paired with their partner of an hour ago, and their history still has the pair", async () => {
    const { store, clock } = setup();
    await damagedAfterPair(store, clock);
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    const again = await requestPair(store, clock, G, { userId: "1", role: "backend" });
    expect(again.kind).toBe("waiting");
    const history = await pairHistory(store, clock, G, "1");
    expect(history.items.map((item) => [item.pair.id, item.partner])).toEqual([[1, "2"]]);
    expect(history.total).toBe(1);
  });

  it("GIVEN a member's pairing record is damaged WHEN they next use /pair request THEN the damaged record is copied aside under quarantine: before it is overwritten", async () => {
    const { store, clock } = setup();
    await damagedAfterPair(store, clock);
    await requestPair(store, clock, G, { userId: "1", role: "backend", topic: "Docker" });
    const stored = [...(store.keyv.store as Map<string, unknown>).entries()];
    const aside = stored.filter(([key]) => key.startsWith(`nexus:quarantine:${pairMemberKey(G, "1")}:`));
    expect(aside).toHaveLength(1);
    expect(aside[0]?.[1]).toContain("yesterday");
    expect((await store.get(pairMemberKey(G, "1"), PairMemberSchema))?.history).toHaveLength(1);
  });

  it("GIVEN a member's pairing record cannot be decoded WHEN they ask again THEN they are not re-paired with their partner of an hour ago, and the damaged record is copied aside", async () => {
    const { store, clock } = setup();
    await requestPair(store, clock, G, { userId: "1", role: "backend" });
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    // Bytes that are not what the codec writes (a torn or hand-edited row), not a value failing its schema.
    const raw = store.keyv.store as Map<string, unknown>;
    raw.set(`nexus:${pairMemberKey(G, "1")}`, '{"value": {"truncated');
    clock.advance(60 * 60_000);
    await requestPair(store, clock, G, { userId: "2", role: "frontend" });
    const again = await requestPair(store, clock, G, { userId: "1", role: "backend" });
    expect(again.kind).toBe("waiting");
    expect((await pairHistory(store, clock, G, "1")).items.map((item) => item.partner)).toEqual(["2"]);
    const aside = [...raw.entries()].filter(([key]) =>
      key.startsWith(`nexus:quarantine:${pairMemberKey(G, "1")}:`),
    );
    expect(aside.map(([, value]) => String(value))).toEqual([expect.stringContaining("truncated")]);
  });
});
