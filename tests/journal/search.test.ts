import { describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { logEntry } from "../../src/journal/entries.js";
import { searchForViewer, searchJournal } from "../../src/journal/search.js";
import { silentLogger } from "../../src/log.js";
import { memoryStore } from "../../src/store/open.js";

const G = "100";
const ALICE = "201";
const BOB = "202";

async function seeded() {
  const store = memoryStore(silentLogger());
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  const log = async (authorId: string, topic: string, text: string, extra: { private?: boolean } = {}) => {
    clock.advance(60_000);
    return (await logEntry(store, clock, G, { authorId, topic, text, ...extra })).entry;
  };
  await log(ALICE, "Docker", "Docker compose networking between containers"); // 1
  await log(BOB, "Caching and Redis", "Redis caching for Django views; cache invalidation on save"); // 2
  await log(ALICE, "Caching and Redis", "Caching querysets in Django with Redis"); // 3
  await log(BOB, "Celery and RabbitMQ", "Celery beat schedules periodic tasks"); // 4
  await log(ALICE, "Docker", "Docker compose networking between containers"); // 5
  await log(ALICE, "Caching and Redis", "Secret redis password rotation notes", { private: true }); // 6
  return { store, clock, log };
}

describe("searchJournal", () => {
  it("GIVEN entries opening 'Added…' and 'Adding…' WHEN searching 'add' THEN both are found", async () => {
    const { store, log } = await seeded();
    const added = await log(ALICE, "Docker", "Added a healthcheck so web waits for Postgres");
    const adding = await log(ALICE, "Docker", "Adding volumes keeps the data between restarts");
    const hits = await searchJournal(store, G, "add", { limit: 10 });
    expect(hits.map((hit) => hit.id).sort()).toEqual([added.id, adding.id].sort());
  });

  it("GIVEN entries THEN the most relevant come first, with score and the public fields", async () => {
    const { store } = await seeded();
    const hits = await searchJournal(store, G, "django querysets", { limit: 10 });
    expect(hits.map((hit) => hit.id)).toEqual([3, 2]);
    expect(hits[0]).toEqual({
      id: 3,
      authorId: ALICE,
      topic: "Caching and Redis",
      text: "Caching querysets in Django with Redis",
      link: null,
      createdAt: Date.UTC(2026, 2, 1) + 3 * 60_000,
      score: expect.any(Number),
    });
    expect(hits[0]?.score ?? 0).toBeGreaterThan(hits[1]?.score ?? 0);
  });

  it("GIVEN two equally relevant entries THEN the newer ranks first", async () => {
    const { store } = await seeded();
    const hits = await searchJournal(store, G, "compose networking", { limit: 10 });
    expect(hits.map((hit) => hit.id)).toEqual([5, 1]);
  });

  it("GIVEN a private entry THEN it is excluded unless includePrivate", async () => {
    const { store } = await seeded();
    expect((await searchJournal(store, G, "password rotation", { limit: 5 })).map((h) => h.id)).toEqual([]);
    expect(
      (await searchJournal(store, G, "password rotation", { limit: 5, includePrivate: true })).map(
        (h) => h.id,
      ),
    ).toEqual([6]);
  });

  it("GIVEN a topic filter THEN only that topic's entries are ranked, and an unknown topic matches nothing", async () => {
    const { store } = await seeded();
    expect((await searchJournal(store, G, "django", { limit: 5, topic: "caching and redis" })).length).toBe(
      2,
    );
    expect(await searchJournal(store, G, "docker", { limit: 5, topic: "Caching and Redis" })).toEqual([]);
    expect(await searchJournal(store, G, "docker", { limit: 5, topic: "Cobol" })).toEqual([]);
  });

  it("GIVEN the topic name in the query THEN entries of that topic match even if their text does not say it", async () => {
    const { store } = await seeded();
    expect((await searchJournal(store, G, "rabbitmq", { limit: 5 })).map((h) => h.id)).toEqual([4]);
  });

  it("GIVEN a limit THEN at most that many come back; a query of stop words finds nothing", async () => {
    const { store } = await seeded();
    expect(await searchJournal(store, G, "docker redis celery", { limit: 2 })).toHaveLength(2);
    expect(await searchJournal(store, G, "the and of", { limit: 5 })).toEqual([]);
    expect(await searchJournal(store, "999", "docker", { limit: 5 })).toEqual([]);
  });

  it("GIVEN an entry edited or deleted after a search THEN the next search sees the change", async () => {
    const { store, clock } = await seeded();
    const { editEntry, deleteEntry } = await import("../../src/journal/entries.js");
    expect((await searchJournal(store, G, "beat", { limit: 5 })).map((h) => h.id)).toEqual([4]);
    await editEntry(store, clock, G, { userId: BOB, id: 4, text: "Celery chords and groups" });
    expect(await searchJournal(store, G, "beat", { limit: 5 })).toEqual([]);
    expect((await searchJournal(store, G, "chords", { limit: 5 })).map((h) => h.id)).toEqual([4]);
    await deleteEntry(store, clock, G, { userId: BOB, id: 4 });
    expect(await searchJournal(store, G, "chords", { limit: 5 })).toEqual([]);
  });
});

describe("search ranking", () => {
  it("GIVEN a word most candidates share THEN an entry with every query word still outranks one with the rarer word only", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    const log = async (authorId: string, topic: string, text: string) => {
      clock.advance(60_000);
      return (await logEntry(store, clock, G, { authorId, topic, text })).entry;
    };
    for (let i = 0; i < 150; i += 1) await log(BOB, "Docker", `Compose networks and volumes, note ${i}`);
    for (let i = 0; i < 40; i += 1) await log(BOB, "Django", `Class-based views and forms, note ${i}`);
    const celeryOnly = await log(BOB, "Celery and RabbitMQ", "Beat schedules periodic");
    const both = await log(ALICE, "Celery and RabbitMQ", "Workers run Django tasks in the background");
    // Among the 42 candidates "django" is in 41 and would weigh nothing; across the journal it is specific.
    const hits = await searchJournal(store, G, "django celery", { limit: 10 });
    expect(hits[0]?.id).toBe(both.id);
    expect(hits.findIndex((hit) => hit.id === celeryOnly.id)).toBeGreaterThan(0);
  });
});

describe("search caching", () => {
  it("GIVEN a public search cached first THEN a viewer with private entries still gets their own", async () => {
    const { store, clock } = await seeded();
    expect(await searchJournal(store, G, "password", { limit: 5 })).toEqual([]);
    expect(await searchForViewer(store, clock, G, { viewerId: BOB, query: "password" })).toEqual([]);
    const mine = await searchForViewer(store, clock, G, { viewerId: ALICE, query: "password" });
    expect(mine.map((r) => r.entry.id)).toEqual([6]);
    expect(await searchJournal(store, G, "password", { limit: 5 })).toEqual([]);
  });

  it("GIVEN a cached query WHEN a new matching entry is logged THEN the next search includes it", async () => {
    const { store, log } = await seeded();
    expect((await searchJournal(store, G, "beat", { limit: 5 })).map((h) => h.id)).toEqual([4]);
    await log(ALICE, "Celery and RabbitMQ", "Celery beat with a database scheduler");
    expect((await searchJournal(store, G, "beat", { limit: 5 })).map((h) => h.id)).toEqual([7, 4]);
  });

  it("GIVEN a warm journal WHEN searched THEN no entry record is re-read", async () => {
    const { store } = await seeded();
    await searchJournal(store, G, "docker", { limit: 5 });
    const getMany = vi.spyOn(store, "getMany");
    const get = vi.spyOn(store, "get");
    const hits = await searchJournal(store, G, "celery beat", { limit: 5 });
    expect(hits.map((h) => h.id)).toEqual([4]);
    expect(getMany).not.toHaveBeenCalled();
    expect(get).toHaveBeenCalledTimes(1);
  });

  it("GIVEN a limit larger than the cached depth THEN all matches still come back", async () => {
    const { store, log } = await seeded();
    for (let i = 0; i < 60; i += 1) await log(BOB, "Testing", `pytest parametrize lesson ${i}`);
    expect(await searchJournal(store, G, "pytest", { limit: 5 })).toHaveLength(5);
    expect(await searchJournal(store, G, "pytest", { limit: 100 })).toHaveLength(60);
  });
});

describe("searchForViewer", () => {
  it("GIVEN my own private entry THEN my search finds it and someone else's does not", async () => {
    const { store, clock } = await seeded();
    const mine = await searchForViewer(store, clock, G, { viewerId: ALICE, query: "password" });
    expect(mine.map((r) => r.entry.id)).toEqual([6]);
    expect(await searchForViewer(store, clock, G, { viewerId: BOB, query: "password" })).toEqual([]);
  });

  it("GIVEN a query with no searchable word or an unknown topic THEN a UserError names the rule", async () => {
    const { store, clock } = await seeded();
    await expect(searchForViewer(store, clock, G, { viewerId: BOB, query: "the ?" })).rejects.toThrow(
      /meaningful word/,
    );
    await expect(
      searchForViewer(store, clock, G, { viewerId: BOB, query: "redis", topic: "Cobol" }),
    ).rejects.toThrow(/topics/);
  });

  it("GIVEN more than 10 matches THEN the top 10 are returned", async () => {
    const { store, log, clock } = await seeded();
    for (let i = 0; i < 15; i += 1) await log(BOB, "Testing", `pytest fixtures lesson ${i}`);
    expect(await searchForViewer(store, clock, G, { viewerId: BOB, query: "pytest" })).toHaveLength(10);
  });
});
