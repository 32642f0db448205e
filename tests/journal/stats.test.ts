import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { logEntry } from "../../src/journal/entries.js";
import { weeklyStats } from "../../src/journal/stats.js";
import { silentLogger } from "../../src/log.js";
import { memoryStore } from "../../src/store/open.js";

const G = "100";
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 2, 15, 12);
const TEXT = "Something worth remembering today";

describe("weeklyStats", () => {
  it("GIVEN entries this week and the week before THEN only the last 7 days count, with top topics", async () => {
    const store = memoryStore(silentLogger());
    const at = async (ms: number, authorId: string, topic: string, kind?: string) =>
      logEntry(store, new ManualClock(ms), G, { authorId, topic, text: TEXT, ...(kind ? { kind } : {}) });
    await at(NOW - 10 * DAY, "1", "Python"); // the week before
    await at(NOW - 8 * DAY, "4", "Python"); // the week before
    await at(NOW - 7 * DAY, "4", "Python"); // exactly 7 days ago: the week before
    await at(NOW - 6 * DAY, "1", "Docker");
    await at(NOW - 3 * DAY, "2", "Docker", "challenge");
    await at(NOW - 2 * DAY, "2", "Django");
    await at(NOW - 1 * DAY, "3", "Docker", "solution");
    await at(NOW, "3", "Django");
    await logEntry(store, new ManualClock(NOW - DAY), G, {
      authorId: "5",
      topic: "Testing",
      text: TEXT,
      private: true,
    });
    const stats = await weeklyStats(store, new ManualClock(NOW), G);
    expect(stats).toMatchObject({
      entries: 6,
      learners: 4,
      previous: { entries: 3, learners: 2 },
      kinds: { learning: 4, challenge: 1, solution: 1, "best-practice": 0 },
    });
    expect(stats.topTopics).toEqual([
      { topic: "Docker", count: 3 },
      { topic: "Django", count: 2 },
      { topic: "Testing", count: 1 },
    ]);
  });

  it("GIVEN an empty journal THEN everything is zero", async () => {
    const stats = await weeklyStats(memoryStore(silentLogger()), new ManualClock(NOW), G);
    expect(stats).toMatchObject({
      entries: 0,
      learners: 0,
      topTopics: [],
      previous: { entries: 0, learners: 0 },
    });
  });

  it("GIVEN more than five topics THEN the top five are shown, ties alphabetical", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(NOW);
    for (const topic of ["Testing", "Python", "Docker", "Django", "GraphQL", "CI/CD", "Docker"]) {
      await logEntry(store, clock, G, { authorId: "1", topic, text: TEXT });
    }
    const stats = await weeklyStats(store, clock, G);
    expect(stats.topTopics.map((t) => t.topic)).toEqual(["Docker", "CI/CD", "Django", "GraphQL", "Python"]);
  });
});
