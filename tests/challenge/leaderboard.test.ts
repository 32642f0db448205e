import { describe, expect, it } from "vitest";
import { challengeLeaderboard, formatChallengeLeaderboard } from "../../src/challenge/leaderboard.js";
import { challengeKeys, StateSchema, SubsSchema, TotalsSchema } from "../../src/challenge/records.js";
import { embedProblems } from "../../src/challenge/render.js";
import { ManualClock } from "../../src/clock.js";
import { setupGuild } from "../../src/guild/config.js";
import { silentLogger } from "../../src/log.js";
import { memoryStore } from "../../src/store/open.js";

const GUILD = "100000000000000001";
const utc = (iso: string) => Date.parse(iso);

async function seeded() {
  const clock = new ManualClock(utc("2026-06-30T12:00:00Z"));
  const store = memoryStore(silentLogger());
  await setupGuild(store, clock, GUILD, {
    channelId: "200000000000000001",
    timezone: "Africa/Lagos",
    by: "1",
  });
  const days: Record<string, Array<[string, number]>> = {
    "2026-06-30": [
      ["a", 10],
      ["b", 20],
    ], // today
    "2026-06-24": [["c", 30]], // 6 days ago: inside the week
    "2026-06-23": [["d", 100]], // 7 days ago: outside the week, inside the month
    "2026-06-01": [["a", 30]], // 29 days ago: inside the month
    "2026-05-31": [["e", 500]], // 30 days ago: outside the month
  };
  const totals: Record<string, number> = {};
  for (const [date, entries] of Object.entries(days)) {
    await store.set(challengeKeys.subs(GUILD, date), SubsSchema, {
      entries: entries.map(([u, p]) => ({ u, p })),
    });
    for (const [u, p] of entries) totals[u] = (totals[u] ?? 0) + p;
  }
  await store.set(challengeKeys.totals(GUILD), TotalsSchema, { points: totals });
  return { store, clock };
}

describe("challengeLeaderboard", () => {
  it("GIVEN points over two months THEN week counts the last 7 local days, sorted by points", async () => {
    const { store, clock } = await seeded();
    expect(await challengeLeaderboard(store, clock, GUILD, "week")).toEqual([
      { userId: "c", points: 30 },
      { userId: "b", points: 20 },
      { userId: "a", points: 10 },
    ]);
  });

  it("GIVEN points over two months THEN month counts the last 30 local days", async () => {
    const { store, clock } = await seeded();
    expect(await challengeLeaderboard(store, clock, GUILD, "month")).toEqual([
      { userId: "d", points: 100 },
      { userId: "a", points: 40 },
      { userId: "c", points: 30 },
      { userId: "b", points: 20 },
    ]);
  });

  it("GIVEN points over two months THEN all counts everything, ties broken by user id", async () => {
    const { store, clock } = await seeded();
    const rows = await challengeLeaderboard(store, clock, GUILD, "all");
    expect(rows[0]).toEqual({ userId: "e", points: 500 });
    expect(rows.slice(1)).toEqual([
      { userId: "d", points: 100 },
      { userId: "a", points: 40 },
      { userId: "c", points: 30 },
      { userId: "b", points: 20 },
    ]);
  });

  it("GIVEN the guild's local day differs from UTC THEN the window follows the local date", async () => {
    const { store, clock } = await seeded();
    clock.set(utc("2026-07-06T23:30:00Z")); // already July 7 in Lagos (UTC+1): June 30 is 7 days ago
    const rows = await challengeLeaderboard(store, clock, GUILD, "week");
    expect(rows).toEqual([]);
  });

  it("GIVEN today's challenge posted in Auckland WHEN the server moves to Los Angeles THEN the week still counts its points", async () => {
    // 2026-06-30 21:00 UTC: 2026-07-01 09:00 in Auckland, the day's post time.
    const clock = new ManualClock(utc("2026-06-30T21:00:00Z"));
    const store = memoryStore(silentLogger());
    const setup = { channelId: "200000000000000001", by: "1" };
    await setupGuild(store, clock, GUILD, { ...setup, timezone: "Pacific/Auckland" });
    await store.set(challengeKeys.state(GUILD), StateSchema, {
      current: "2026-07-01",
      previous: "2026-06-30",
      lastDate: "2026-07-01",
      postedDates: ["2026-06-30", "2026-07-01"],
    });
    await store.set(challengeKeys.subs(GUILD, "2026-07-01"), SubsSchema, { entries: [{ u: "42", p: 20 }] });
    // An hour later the admin moves the server to Los Angeles, where it is still 2026-06-30.
    clock.advance(60 * 60_000);
    await setupGuild(store, clock, GUILD, { ...setup, timezone: "America/Los_Angeles" });
    for (const period of ["week", "month"] as const) {
      expect(await challengeLeaderboard(store, clock, GUILD, period), period).toEqual([
        { userId: "42", points: 20 },
      ]);
    }
  });

  it("GIVEN a guild with no points THEN the board is empty and the embed says how to get on it", async () => {
    const clock = new ManualClock(utc("2026-06-30T12:00:00Z"));
    const store = memoryStore(silentLogger());
    expect(await challengeLeaderboard(store, clock, GUILD, "all")).toEqual([]);
    expect(formatChallengeLeaderboard([], "week").description).toContain("/challenge submit");
  });

  it("GIVEN stored all-time totals with a negative, fractional or text count THEN the record fails its schema and no wrong board is shown", async () => {
    const { store, clock } = await seeded();
    for (const points of [{ a: -1 }, { a: 1.5 }, { a: "10" }, { a: null }, [10], "a"]) {
      expect(TotalsSchema.safeParse({ points }).success, JSON.stringify(points)).toBe(false);
      await store.keyv.set(challengeKeys.totals(GUILD), { points });
      expect(await challengeLeaderboard(store, clock, GUILD, "all")).toEqual([]);
    }
    expect(TotalsSchema.parse({})).toEqual({ points: {} });
    expect(TotalsSchema.parse({ points: { a: 0, b: 7 } })).toEqual({ points: { a: 0, b: 7 } });
  });
});

describe("formatChallengeLeaderboard", () => {
  it("GIVEN 500 rows THEN the embed shows the top 10 within Discord's limits", () => {
    const rows = Array.from({ length: 500 }, (_, i) => ({
      userId: `3000000000000${String(i).padStart(5, "0")}`,
      points: 1000 - i,
    }));
    const embed = formatChallengeLeaderboard(rows, "month");
    expect(embedProblems(embed)).toEqual([]);
    expect(embed.description?.split("\n")).toHaveLength(10);
    expect(embed.description?.split("\n")[0]).toBe("**1.** <@300000000000000000> — 1000 points");
  });
});
