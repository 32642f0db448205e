import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Challenge } from "../../src/challenge/bank.js";
import {
  addCustomChallenge,
  memberStreak,
  submitAnswer,
  updateChallengeSettings,
} from "../../src/challenge/learners.js";
import {
  type ChallengeDeps,
  type ChallengeSender,
  createRunner,
  NONCE_WINDOW_MS,
  postToday,
  recoveryAction,
  runDuePosts,
  SendRefusedError,
  skipToday,
} from "../../src/challenge/post.js";
import { challengeKeys, DaySchema, DeliverySchema, getState } from "../../src/challenge/records.js";
import { ManualClock } from "../../src/clock.js";
import { UserError } from "../../src/discord/errors.js";
import { releaseChannel, setupGuild } from "../../src/guild/config.js";
import { silentLogger } from "../../src/log.js";
import { memoryStore, openStore } from "../../src/store/open.js";
import type { KeyvStore } from "../../src/store/store.js";
import { localDate } from "../../src/time.js";
import { challenge } from "../support/challenge-fixtures.js";
import { MemorySender, type StoredMessage } from "../support/challenge-sender.js";

const GUILD = "100000000000000001";
const CHANNEL = "200000000000000001";
const MIN = 60_000;
const HOUR = 60 * MIN;
const utc = (iso: string) => Date.parse(iso);

const SMALL_BANK = [challenge("alpha"), challenge("beta"), challenge("gamma")];

const dirs: string[] = [];
const stores: KeyvStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close().catch(() => undefined)));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

type World = { store: KeyvStore; clock: ManualClock; discord: MemorySender };

async function world(
  start: string,
  guilds: Array<{ guildId?: string; channelId?: string; timezone?: string; postTime?: string }> = [{}],
): Promise<World> {
  const clock = new ManualClock(utc(start));
  const store = memoryStore(silentLogger());
  for (const guild of guilds) {
    await setupGuild(store, clock, guild.guildId ?? GUILD, {
      channelId: guild.channelId ?? CHANNEL,
      timezone: guild.timezone ?? "Europe/London",
      postTime: guild.postTime ?? "09:00",
      by: "1",
    });
  }
  return { store, clock, discord: new MemorySender(clock) };
}

/** A process start: a fresh scheduler run against the same store (and the same Discord). */
function boot(w: World, id: string, bank: readonly Challenge[] = SMALL_BANK): ChallengeDeps {
  return { runner: createRunner(w.clock, id), sender: w.discord, bank };
}

const tick = (w: World, deps: ChallengeDeps, guilds = [GUILD]) => runDuePosts(w.store, w.clock, deps, guilds);

/** Ticks every `stepMs` until `untilIso`, like the 30 s job would. */
async function runUntil(w: World, deps: ChallengeDeps, untilIso: string, stepMs = 30_000, guilds = [GUILD]) {
  const end = utc(untilIso);
  while (w.clock.now() < end) {
    await tick(w, deps, guilds);
    w.clock.advance(stepMs);
  }
}

const postTimes = (w: World, guildId = GUILD) =>
  w.discord.posts(guildId).map((m) => new Date(m.at).toISOString());

describe("daily post schedule (fake clock)", () => {
  it("GIVEN a London guild at 09:00 WHEN ticking through the end of October THEN one post a day at 09:00 local, BST then GMT", async () => {
    const w = await world("2026-10-24T00:00:00Z");
    await runUntil(w, boot(w, "run"), "2026-10-27T00:00:00Z", MIN);
    expect(postTimes(w)).toEqual([
      "2026-10-24T08:00:00.000Z", // 09:00 BST
      "2026-10-25T09:00:00.000Z", // 09:00 GMT, the day the clocks go back
      "2026-10-26T09:00:00.000Z",
    ]);
  });

  it("GIVEN a London guild at 09:00 WHEN ticking through the end of March THEN one post a day at 09:00 local, GMT then BST", async () => {
    const w = await world("2026-03-28T00:00:00Z");
    await runUntil(w, boot(w, "run"), "2026-03-31T00:00:00Z", MIN);
    expect(postTimes(w)).toEqual([
      "2026-03-28T09:00:00.000Z",
      "2026-03-29T08:00:00.000Z", // the clocks went forward at 01:00 UTC
      "2026-03-30T08:00:00.000Z",
    ]);
  });

  it("GIVEN a London guild posting at 01:30 WHEN that time does not exist (spring forward) THEN it posts once, at 02:30 BST", async () => {
    const w = await world("2026-03-29T00:00:00Z", [{ postTime: "01:30" }]);
    await runUntil(w, boot(w, "run"), "2026-03-30T12:00:00Z", MIN);
    expect(postTimes(w)).toEqual(["2026-03-29T01:30:00.000Z", "2026-03-30T00:30:00.000Z"]);
  });

  it("GIVEN a London guild posting at 01:30 WHEN that time happens twice (fall back) THEN it posts once, not at both", async () => {
    const w = await world("2026-10-24T23:00:00Z", [{ postTime: "01:30" }]);
    await runUntil(w, boot(w, "run"), "2026-10-26T12:00:00Z", MIN);
    const [first, second, ...rest] = postTimes(w);
    // 01:30 BST (00:30 UTC) or 01:30 GMT (01:30 UTC): zonedInstant picks one (luxon: the later), never both.
    expect(["2026-10-25T00:30:00.000Z", "2026-10-25T01:30:00.000Z"]).toContain(first);
    expect(second).toBe("2026-10-26T01:30:00.000Z");
    expect(rest).toEqual([]);
  });

  it("GIVEN a Nuuk guild posting at 23:30 WHEN 2024-03-30 skips 23:00–24:00 THEN it still posts once that date, in its last minute", async () => {
    const w = await world("2024-03-29T12:00:00Z", [{ timezone: "America/Nuuk", postTime: "23:30" }]);
    await runUntil(w, boot(w, "run"), "2024-04-01T12:00:00Z");
    expect(postTimes(w)).toEqual([
      "2024-03-30T01:30:00.000Z",
      "2024-03-31T00:59:00.000Z",
      "2024-04-01T00:30:00.000Z",
    ]);
    expect(w.discord.posts(GUILD).map((m) => localDate(m.at, "America/Nuuk"))).toEqual([
      "2024-03-29",
      "2024-03-30",
      "2024-03-31",
    ]);
  });

  it("GIVEN a New York guild WHEN ticking across both DST changes THEN it posts at 09:00 EST/EDT", async () => {
    const w = await world("2026-03-07T05:00:00Z", [{ timezone: "America/New_York" }]); // midnight EST
    const deps = boot(w, "run");
    await runUntil(w, deps, "2026-03-09T04:00:00Z", 5 * MIN);
    w.clock.set(utc("2026-10-31T04:00:00Z")); // midnight EDT
    await runUntil(w, deps, "2026-11-02T05:00:00Z", 5 * MIN);
    expect(postTimes(w)).toEqual([
      "2026-03-07T14:00:00.000Z",
      "2026-03-08T13:00:00.000Z",
      "2026-10-31T13:00:00.000Z",
      "2026-11-01T14:00:00.000Z",
    ]);
  });

  it("GIVEN guilds in four time zones WHEN one scheduler ticks for a day THEN each posts once at 09:00 local", async () => {
    // At 15:00 UTC it is before 09:00 in all four zones, so each one's next post is at its 09:00.
    const zones = ["Asia/Tokyo", "America/Los_Angeles", "Pacific/Auckland", "Australia/Sydney"];
    const guilds = zones.map((timezone, i) => ({
      guildId: `10000000000000010${i}`,
      channelId: `20000000000000010${i}`,
      timezone,
    }));
    const w = await world("2026-05-31T15:00:00Z", guilds);
    const ids = guilds.map((g) => g.guildId);
    await runUntil(w, boot(w, "run"), "2026-06-01T15:00:00Z", 5 * MIN, ids);
    expect(ids.map((id) => postTimes(w, id))).toEqual([
      ["2026-06-01T00:00:00.000Z"], // 09:00 JST on June 1
      ["2026-05-31T16:00:00.000Z"], // 09:00 PDT on May 31
      ["2026-05-31T21:00:00.000Z"], // 09:00 NZST on June 1
      ["2026-05-31T23:00:00.000Z"], // 09:00 AEST on June 1
    ]);
  });

  it("GIVEN guilds in Lagos and Kolkata WHEN ticking for two days THEN each posts at its 09:00, once a day", async () => {
    const guilds = [
      { guildId: "100000000000000111", channelId: "200000000000000111", timezone: "Africa/Lagos" },
      { guildId: "100000000000000112", channelId: "200000000000000112", timezone: "Asia/Kolkata" },
    ];
    const w = await world("2026-06-01T00:00:00Z", guilds);
    const ids = guilds.map((g) => g.guildId);
    await runUntil(w, boot(w, "run"), "2026-06-03T00:00:00Z", 5 * MIN, ids);
    expect(ids.map((id) => postTimes(w, id))).toEqual([
      ["2026-06-01T08:00:00.000Z", "2026-06-02T08:00:00.000Z"], // WAT, UTC+1
      ["2026-06-01T03:30:00.000Z", "2026-06-02T03:30:00.000Z"], // IST, UTC+5:30
    ]);
  });

  it("GIVEN six guilds posting at 23:59 WHEN a tick's slow sends run past midnight THEN each posts its due date, none tomorrow's early", async () => {
    const guilds = Array.from({ length: 6 }, (_, i) => ({
      guildId: `10000000000000012${i}`,
      channelId: `20000000000000012${i}`,
      timezone: "UTC",
      postTime: "23:59",
    }));
    const w = await world("2026-06-01T23:59:30Z", guilds);
    const ids = guilds.map((g) => g.guildId);
    // Discord answers each send after 10 s: the workers reach the last guilds after midnight.
    const slow: ChallengeDeps = {
      runner: createRunner(w.clock, "run"),
      sender: {
        send: async (...args) => {
          const sent = await w.discord.send(...args);
          w.clock.advance(10_000);
          return sent;
        },
        find: (...args) => w.discord.find(...args),
      },
      bank: SMALL_BANK,
    };
    await runDuePosts(w.store, w.clock, slow, ids);
    expect(localDate(w.clock.now(), "UTC")).toBe("2026-06-02");
    await runUntil(w, boot(w, "run"), "2026-06-02T23:00:00Z", 5 * MIN, ids);
    for (const id of ids) {
      expect(w.discord.posts(id)).toHaveLength(1);
      const due = await w.store.get(challengeKeys.day(id, "2026-06-01"), DaySchema);
      expect(due?.post.state).toBe("posted");
      expect(await w.store.get(challengeKeys.day(id, "2026-06-02"), DaySchema)).toBeUndefined();
    }
  });

  it("GIVEN a guild without a channel WHEN the scheduler ticks THEN nothing is posted", async () => {
    const w = await world("2026-06-01T12:00:00Z", []);
    await tick(w, boot(w, "run"));
    expect(w.discord.calls).toBe(0);
  });
});

describe("restarts", () => {
  it("GIVEN a restart before post time THEN the new process posts once at post time", async () => {
    const w = await world("2026-06-01T07:00:00Z");
    await tick(w, boot(w, "first"));
    w.clock.set(utc("2026-06-01T07:59:00Z"));
    const second = boot(w, "second");
    await runUntil(w, second, "2026-06-01T12:00:00Z");
    expect(postTimes(w)).toEqual(["2026-06-01T08:00:00.000Z"]);
  });

  it("GIVEN a post at 09:00 WHEN the bot restarts at 09:00 and again later THEN nothing is posted twice", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    await tick(w, boot(w, "first"));
    await tick(w, boot(w, "second"));
    w.clock.advance(MIN);
    await tick(w, boot(w, "third"));
    expect(w.discord.posts(GUILD)).toHaveLength(1);
    expect(w.discord.calls).toBe(1);
  });

  it("GIVEN the bot was down at post time WHEN it comes back the same local day THEN it posts once, then normally the next day", async () => {
    const w = await world("2026-06-01T14:17:00Z");
    await runUntil(w, boot(w, "late"), "2026-06-02T12:00:00Z");
    expect(postTimes(w)).toEqual(["2026-06-01T14:17:00.000Z", "2026-06-02T08:00:00.000Z"]);
  });

  it("GIVEN the bot was down for three days WHEN it comes back THEN it posts today's only and reveals the last posted day", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    await tick(w, boot(w, "first"));
    const firstPost = w.discord.posts(GUILD)[0];
    w.clock.set(utc("2026-06-04T10:00:00Z"));
    await tick(w, boot(w, "after-outage"));
    expect(postTimes(w)).toEqual(["2026-06-01T08:00:00.000Z", "2026-06-04T10:00:00.000Z"]);
    const reveal = w.discord
      .in(firstPost?.id ?? "")
      .filter((m) => m.payload.embeds[0]?.title?.startsWith("Model answer"));
    expect(reveal).toHaveLength(1);
    for (const date of ["2026-06-02", "2026-06-03"]) {
      expect(await w.store.get(challengeKeys.day(GUILD, date), DaySchema)).toBeUndefined();
    }
  });

  it("GIVEN a crash after the claim, before Discord got the post WHEN restarted a minute later THEN it is sent once, with the same nonce", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    w.discord.failNext("before");
    await tick(w, boot(w, "crashed"));
    expect(w.discord.messages).toHaveLength(0);
    const claimed = await w.store.get(challengeKeys.day(GUILD, "2026-06-01"), DaySchema);
    expect(claimed?.post.state).toBe("claimed");
    w.clock.advance(MIN);
    await tick(w, boot(w, "restarted"));
    expect(w.discord.posts(GUILD)).toHaveLength(1);
    expect(w.discord.posts(GUILD)[0]?.nonce).toBe(claimed?.post.nonce);
    const day = await w.store.get(challengeKeys.day(GUILD, "2026-06-01"), DaySchema);
    expect(day?.post).toMatchObject({ state: "posted", messageId: w.discord.posts(GUILD)[0]?.id });
  });

  it("GIVEN a crash after Discord created the post WHEN restarted within the nonce window THEN Discord's dedup returns the first message: one post", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    w.discord.failNext("after");
    await tick(w, boot(w, "crashed"));
    expect(w.discord.posts(GUILD)).toHaveLength(1);
    w.clock.advance(2 * MIN);
    await tick(w, boot(w, "restarted"));
    expect(w.discord.calls).toBe(2);
    expect(w.discord.posts(GUILD)).toHaveLength(1);
    const day = await w.store.get(challengeKeys.day(GUILD, "2026-06-01"), DaySchema);
    expect(day?.post).toMatchObject({ state: "posted", messageId: w.discord.posts(GUILD)[0]?.id });
  });

  it("GIVEN a crash after Discord created the post WHEN restarted after the nonce window THEN it finds the post in the channel and sends nothing", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    w.discord.failNext("after");
    await tick(w, boot(w, "crashed"));
    w.clock.advance(20 * MIN);
    await tick(w, boot(w, "restarted"));
    expect(w.discord.findCalls).toBe(1);
    expect(w.discord.calls).toBe(1);
    expect(w.discord.posts(GUILD)).toHaveLength(1);
    const day = await w.store.get(challengeKeys.day(GUILD, "2026-06-01"), DaySchema);
    expect(day?.post.state).toBe("posted");
  });

  it("GIVEN a crash before Discord got the post WHEN restarted after the nonce window THEN the search finds nothing and it posts once", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    w.discord.failNext("before");
    await tick(w, boot(w, "crashed"));
    w.clock.advance(20 * MIN);
    await tick(w, boot(w, "restarted"));
    expect(w.discord.findCalls).toBe(1);
    expect(w.discord.posts(GUILD)).toHaveLength(1);
  });

  it("GIVEN a claim left by a crash yesterday WHEN the bot comes back today THEN yesterday is never posted and today is", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    w.discord.failNext("before");
    await tick(w, boot(w, "crashed"));
    w.clock.set(utc("2026-06-02T09:00:00Z"));
    await tick(w, boot(w, "next-day"));
    expect(postTimes(w)).toEqual(["2026-06-02T09:00:00.000Z"]);
  });

  it("GIVEN a 23:59 post Discord created but did not confirm WHEN the retry comes after midnight THEN the post is found and becomes current for its own date, and nothing is sent again", async () => {
    const member = "300000000000000001";
    const w = await world("2026-06-01T23:59:40Z", [{ timezone: "UTC", postTime: "23:59" }]);
    const deps = boot(w, "run");
    w.discord.failNext("after"); // a 5xx: the message is in the channel, the bot was not told
    await tick(w, deps);
    expect(w.discord.posts(GUILD)).toHaveLength(1);
    await runUntil(w, deps, "2026-06-02T12:00:00Z");
    expect(w.discord.posts(GUILD)).toHaveLength(1);
    const day = await w.store.get(challengeKeys.day(GUILD, "2026-06-01"), DaySchema);
    expect(day?.post).toMatchObject({ state: "posted", messageId: w.discord.posts(GUILD)[0]?.id });
    expect((await getState(w.store, GUILD, w.clock)).current).toBe("2026-06-01");
    const submitted = await submitAnswer(w.store, w.clock, GUILD, member, "My answer to the 1st.");
    expect(submitted.date).toBe("2026-06-01");
    await runUntil(w, deps, "2026-06-03T00:00:00Z");
    expect((await memberStreak(w.store, GUILD, member, w.clock)).current).toBe(1);
    expect(w.discord.posts(GUILD)).toHaveLength(2);
  });

  it("GIVEN a 23:59 post Discord created but did not confirm WHEN the bot is back only days later, before that day's post time THEN the stale post is not made current (nor hinted or revealed), and a member's streak runs on to today's", async () => {
    const member = "300000000000000001";
    const w = await world("2026-06-01T23:59:00Z", [{ timezone: "UTC", postTime: "23:59" }]);
    const deps = boot(w, "run");
    await tick(w, deps);
    await submitAnswer(w.store, w.clock, GUILD, member, "My answer to the 1st.");
    await runUntil(w, deps, "2026-06-02T12:00:00Z", 10 * MIN); // the 1st's hint is out
    w.clock.set(utc("2026-06-02T23:59:40Z"));
    w.discord.failNext("after"); // a 5xx: the message is in the channel, the bot was not told
    await tick(w, deps);
    // The process is down until the 5th, 20:00, past the 3rd's and the 4th's post times.
    w.clock.set(utc("2026-06-05T20:00:00Z"));
    const later = boot(w, "later");
    await runUntil(w, later, "2026-06-05T23:58:00Z");
    expect((await getState(w.store, GUILD, w.clock)).current).toBe("2026-06-01");
    await runUntil(w, later, "2026-06-06T00:30:00Z");
    expect(
      w.discord.messages.filter((m) => m.payload.embeds[0]?.footer?.text?.includes("2026-06-02")),
    ).toHaveLength(1);
    await submitAnswer(w.store, w.clock, GUILD, member, "My answer to the 5th.");
    expect((await memberStreak(w.store, GUILD, member, w.clock)).current).toBe(2);
  });

  it("GIVEN a send that fails in a running process THEN it is retried on a later tick after a back-off, once", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    const deps = boot(w, "run");
    w.discord.failNext("before");
    await tick(w, deps);
    w.clock.advance(10_000);
    await tick(w, deps);
    expect(w.discord.calls).toBe(1); // still backing off
    w.clock.advance(30_000);
    await tick(w, deps);
    expect(w.discord.calls).toBe(2);
    expect(w.discord.posts(GUILD)).toHaveLength(1);
    await runUntil(w, deps, "2026-06-01T10:00:00Z");
    expect(w.discord.posts(GUILD)).toHaveLength(1);
  });
  it("GIVEN a stop signalled during a tick THEN no further guild is started, and the next process posts the rest once", async () => {
    const ids = ["100000000000000401", "100000000000000402", "100000000000000403"];
    const w = await world(
      "2026-06-01T08:00:00Z",
      ids.map((guildId, i) => ({ guildId, channelId: `20000000000000040${i}` })),
    );
    const stopping = new AbortController();
    const stoppedAfterOneSend: ChallengeDeps = {
      runner: createRunner(w.clock, "first"),
      sender: {
        send: async (...args) => {
          const sent = await w.discord.send(...args);
          stopping.abort();
          return sent;
        },
        find: (...args) => w.discord.find(...args),
      },
      bank: SMALL_BANK,
    };
    await runDuePosts(w.store, w.clock, stoppedAfterOneSend, ids, {
      concurrency: 1,
      signal: stopping.signal,
    });
    expect(w.discord.calls).toBe(1);
    await runDuePosts(w.store, w.clock, boot(w, "second"), ids);
    for (const id of ids) expect(w.discord.posts(id)).toHaveLength(1);
  });
});

describe("concurrent schedulers", () => {
  it("GIVEN two schedulers on one store WHEN they tick at the same instant for five guilds THEN exactly one send per guild", async () => {
    const guilds = Array.from({ length: 5 }, (_, i) => ({
      guildId: `10000000000000020${i}`,
      channelId: `20000000000000020${i}`,
    }));
    const w = await world("2026-06-01T08:00:00Z", guilds);
    const ids = guilds.map((g) => g.guildId);
    const a = boot(w, "a");
    const b = boot(w, "b");
    await Promise.all([tick(w, a, ids), tick(w, b, ids), tick(w, a, ids), tick(w, b, ids)]);
    expect(w.discord.calls).toBe(5);
    for (const id of ids) expect(w.discord.posts(id)).toHaveLength(1);
    w.clock.advance(MIN);
    await Promise.all([tick(w, a, ids), tick(w, b, ids)]);
    expect(w.discord.calls).toBe(5);
  });

  it("GIVEN two processes (two stores on one SQLite file) WHEN both run due posts at once THEN exactly one send per guild per day", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nexus-challenge-"));
    dirs.push(dir);
    const file = join(dir, "db.sqlite");
    const clock = new ManualClock(utc("2026-06-01T08:00:00Z"));
    const first = await openStore(`sqlite://${file}`, silentLogger());
    const second = await openStore(`sqlite://${file}`, silentLogger());
    stores.push(first, second);
    const ids = ["100000000000000301", "100000000000000302", "100000000000000303"];
    for (const [i, id] of ids.entries()) {
      await setupGuild(first, clock, id, {
        channelId: `20000000000000030${i}`,
        by: "1",
        postTime: "09:00",
        timezone: "Europe/London",
      });
    }
    const discord = new MemorySender(clock);
    const a: ChallengeDeps = { runner: createRunner(clock, "a"), sender: discord, bank: SMALL_BANK };
    const b: ChallengeDeps = { runner: createRunner(clock, "b"), sender: discord, bank: SMALL_BANK };
    await Promise.all([runDuePosts(first, clock, a, ids), runDuePosts(second, clock, b, ids)]);
    expect(discord.calls).toBe(3);
    for (const id of ids) expect(discord.posts(id)).toHaveLength(1);
    clock.advance(MIN);
    await Promise.all([runDuePosts(first, clock, a, ids), runDuePosts(second, clock, b, ids)]);
    expect(discord.calls).toBe(3);
  });

  it("GIVEN another live scheduler still sending WHEN a second one ticks THEN it waits, and takes over only once the attempt is stale", async () => {
    const w = await world("2026-06-01T07:00:00Z");
    const b = boot(w, "b"); // started before a's claim
    w.clock.set(utc("2026-06-01T08:00:00Z"));
    const hanging: ChallengeDeps = {
      runner: createRunner(w.clock, "a"),
      sender: { send: () => new Promise(() => undefined), find: async () => null },
      bank: SMALL_BANK,
    };
    void tick(w, hanging);
    await new Promise((resolve) => setTimeout(resolve, 20));
    w.clock.advance(30_000);
    await tick(w, b);
    expect(w.discord.calls).toBe(0);
    w.clock.advance(2 * MIN);
    await tick(w, b);
    expect(w.discord.calls).toBe(1);
    expect(w.discord.posts(GUILD)).toHaveLength(1);
  });

  it("GIVEN a claimed delivery THEN recoveryAction waits for a live owner and resends or searches otherwise", () => {
    const runner = { id: "me", startedAt: 1_000, inFlight: new Set<string>() };
    const delivery = DeliverySchema.parse({
      state: "claimed",
      nonce: "n",
      marker: "m",
      channelId: "1",
      claimedAt: 2_000,
      owner: "other",
      attemptAt: 2_000,
      tries: 0,
      messageId: null,
      threadId: null,
      postedAt: null,
    });
    expect(recoveryAction(delivery, runner, 3_000)).toBe("wait");
    expect(recoveryAction(delivery, runner, 2_000 + 2 * MIN)).toBe("resend");
    expect(recoveryAction(delivery, runner, 2_000 + NONCE_WINDOW_MS + 1)).toBe("search");
    expect(recoveryAction({ ...delivery, attemptAt: 500, claimedAt: 500 }, runner, 1_500)).toBe("resend");
    expect(recoveryAction({ ...delivery, state: "posted" }, runner, 10 * HOUR)).toBe("wait");
  });
});

describe("hints and reveals", () => {
  it("GIVEN the default 6 h delay THEN the first hint goes into the thread once, 6 h after the post", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    const deps = boot(w, "run");
    await tick(w, deps);
    const post = w.discord.posts(GUILD)[0];
    w.clock.set(utc("2026-06-01T13:59:30Z"));
    await tick(w, deps);
    expect(w.discord.in(post?.id ?? "")).toHaveLength(0);
    w.clock.set(utc("2026-06-01T14:00:00Z"));
    await tick(w, boot(w, "restarted"));
    await runUntil(w, deps, "2026-06-01T20:00:00Z");
    const hints = w.discord.in(post?.id ?? "");
    expect(hints).toHaveLength(1);
    expect(hints[0]?.payload.embeds[0]?.description).toBe("First hint text");
    const day = await w.store.get(challengeKeys.day(GUILD, "2026-06-01"), DaySchema);
    expect(day?.hintReleasedAt).toBe(utc("2026-06-01T14:00:00Z"));
  });

  it("GIVEN a 23 h hint delay in New York WHEN the clocks spring forward (23 h between posts) THEN each challenge's first hint comes before the next post, once", async () => {
    const w = await world("2026-03-06T05:00:00Z", [{ timezone: "America/New_York" }]);
    await updateChallengeSettings(w.store, w.clock, GUILD, "1", { hintDelayHours: 23 });
    const deps = boot(
      w,
      "run",
      ["a", "b", "c", "d", "e"].map((id) => challenge(id)),
    );
    await runUntil(w, deps, "2026-03-10T05:00:00Z");
    const posts = w.discord.posts(GUILD);
    expect(posts.map((m) => new Date(m.at).toISOString())).toEqual([
      "2026-03-06T14:00:00.000Z",
      "2026-03-07T14:00:00.000Z",
      "2026-03-08T13:00:00.000Z", // 09:00 EDT, 23 h after the one before
      "2026-03-09T13:00:00.000Z",
    ]);
    posts.slice(0, 3).forEach((post, i) => {
      const hints = w.discord
        .in(post.id)
        .filter((m) => m.payload.embeds[0]?.description === "First hint text");
      expect(hints).toHaveLength(1);
      const next = posts[i + 1];
      expect(w.discord.messages.indexOf(hints[0] as StoredMessage)).toBeLessThan(
        w.discord.messages.indexOf(next as StoredMessage),
      );
    });
  });

  it("GIVEN a 23 h hint delay and the first hint's sends failing through an outage, backing off past the next post time WHEN Discord is back before it THEN the hint comes before the next post, once", async () => {
    const w = await world("2026-06-01T07:00:00Z");
    await updateChallengeSettings(w.store, w.clock, GUILD, "1", { hintDelayHours: 23 });
    const deps = boot(w, "run");
    await runUntil(w, deps, "2026-06-02T07:00:00Z"); // posted at 08:00 UTC; the hint is due at 07:00
    // Discord fails the hint's send and six retries (07:00–07:31), so the next retry would be at 08:01:30.
    w.discord.failNext("before", "before", "before", "before", "before", "before", "before");
    await runUntil(w, deps, "2026-06-02T08:10:00Z");
    const [first, second] = w.discord.posts(GUILD);
    const hints = w.discord
      .in(first?.id ?? "")
      .filter((m) => m.payload.embeds[0]?.title?.startsWith("Hint 1"));
    expect(hints).toHaveLength(1);
    expect(w.discord.messages.indexOf(hints[0] as StoredMessage)).toBeLessThan(
      w.discord.messages.indexOf(second as StoredMessage),
    );
  });

  it("GIVEN the thread could not be opened with the post THEN it is retried 5 min later, and the hint goes into it", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    const deps = boot(w, "run");
    w.discord.threadFailures = 1;
    await tick(w, deps);
    const day = () => w.store.get(challengeKeys.day(GUILD, "2026-06-01"), DaySchema);
    expect((await day())?.post).toMatchObject({ state: "posted", threadId: null });
    w.clock.advance(4 * MIN);
    await tick(w, deps);
    expect(w.discord.findCalls).toBe(0);
    w.clock.advance(MIN);
    await tick(w, deps);
    const post = w.discord.posts(GUILD)[0];
    expect((await day())?.post.threadId).toBe(post?.id);
    await runUntil(w, deps, "2026-06-01T15:00:00Z");
    expect(w.discord.findCalls).toBe(1);
    expect(w.discord.in(post?.id ?? "")).toHaveLength(1);
    expect(w.discord.posts(GUILD)).toHaveLength(1);
  });

  it("GIVEN the next challenge is posted THEN the previous one's answer and submission count are revealed in its thread, once", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    const deps = boot(w, "run");
    await tick(w, deps);
    const first = w.discord.posts(GUILD)[0];
    await submitAnswer(w.store, w.clock, GUILD, "300000000000000001", "Use select_related.");
    await submitAnswer(w.store, w.clock, GUILD, "300000000000000002", "Prefetch it.");
    await submitAnswer(w.store, w.clock, GUILD, "300000000000000001", "Use select_related, edited.");
    w.clock.set(utc("2026-06-02T08:00:00Z"));
    await tick(w, deps);
    await tick(w, boot(w, "restarted"));
    const reveals = w.discord
      .in(first?.id ?? "")
      .filter((m) => m.payload.embeds[0]?.title?.startsWith("Model answer"));
    expect(reveals).toHaveLength(1);
    const embed = reveals[0]?.payload.embeds[0];
    expect(embed?.fields?.[0]?.value).toBe("2 members submitted an answer.");
    expect(embed?.description).toContain("The model answer for");
  });
  it("GIVEN the Nexus channel deleted after the post, its thread with it WHEN a new channel is set up THEN the first hint and the model answer come in the new channel, once each", async () => {
    const OTHER = "200000000000000002";
    const w = await world("2026-06-01T08:00:00Z");
    // Like Discord for a deleted channel or thread: sends are refused (nothing is created), reads fail.
    const gone = new Set<string>();
    const sender: ChallengeSender = {
      send: (guildId, channelId, payload, nonce) =>
        gone.has(channelId)
          ? Promise.reject(new SendRefusedError("Unknown Channel"))
          : w.discord.send(guildId, channelId, payload, nonce),
      find: (guildId, channelId, query) =>
        gone.has(channelId)
          ? Promise.reject(new Error("Unknown Channel"))
          : w.discord.find(guildId, channelId, query),
    };
    const deps = { ...boot(w, "run"), sender };
    await tick(w, deps);
    const thread = w.discord.posts(GUILD)[0]?.threadId ?? "";
    w.clock.set(utc("2026-06-01T10:00:00Z"));
    gone.add(CHANNEL).add(thread);
    await releaseChannel(w.store, w.clock, GUILD, CHANNEL);
    await setupGuild(w.store, w.clock, GUILD, {
      channelId: OTHER,
      timezone: "Europe/London",
      postTime: "09:00",
      by: "1",
    });
    await runUntil(w, deps, "2026-06-02T12:00:00Z");
    const titles = w.discord.in(OTHER).map((m) => m.payload.embeds[0]?.title ?? "");
    expect(titles.filter((title) => title.startsWith("Hint 1"))).toHaveLength(1);
    expect(titles.filter((title) => title.startsWith("Model answer"))).toHaveLength(1);
    expect(w.discord.posts(GUILD).map((m) => m.channelId)).toEqual([CHANNEL, OTHER]);
  });
});

describe("choosing challenges", () => {
  it("GIVEN a bank of three WHEN seven days are posted THEN no repeat within a cycle, then a new cycle", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    const deps = boot(w, "run");
    const ids: string[] = [];
    for (let day = 0; day < 7; day += 1) {
      w.clock.set(utc("2026-06-01T08:00:00Z") + day * 24 * HOUR);
      await tick(w, deps);
      const date = new Date(w.clock.now()).toISOString().slice(0, 10);
      const record = await w.store.get(challengeKeys.day(GUILD, date), DaySchema);
      ids.push(record?.challenge.id ?? "");
    }
    expect(new Set(ids.slice(0, 3)).size).toBe(3);
    expect(new Set(ids.slice(3, 6)).size).toBe(3);
    expect(ids.every((id) => ["alpha", "beta", "gamma"].includes(id))).toBe(true);
    expect((await getState(w.store, GUILD)).cycle).toBe(2);
  });

  /** The challenge ids of `dates`' day records, in order. */
  const challengeIds = async (w: World, dates: string[]) =>
    (
      await w.store.getMany(
        dates.map((date) => challengeKeys.day(GUILD, date)),
        DaySchema,
      )
    ).map((day) => day?.challenge.id);

  it("GIVEN banks of two and three WHEN a month is posted THEN a new cycle never starts with the previous day's challenge", async () => {
    for (const bank of [SMALL_BANK.slice(0, 2), SMALL_BANK]) {
      const w = await world("2026-06-01T08:00:00Z");
      const deps = boot(w, "run", bank);
      const dates = Array.from({ length: 30 }, (_, i) => `2026-06-${String(i + 1).padStart(2, "0")}`);
      for (const date of dates) {
        w.clock.set(utc(`${date}T08:00:00Z`));
        await tick(w, deps);
      }
      const ids = await challengeIds(w, dates);
      expect(ids.filter((id, i) => id === ids[i - 1])).toEqual([]);
      expect((await getState(w.store, GUILD)).cycle).toBe(30 / bank.length - 1);
    }
  });

  it("GIVEN a bank of one WHEN every day is posted THEN it is posted every day", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    const deps = boot(w, "run", [challenge("only")]);
    await runUntil(w, deps, "2026-06-03T12:00:00Z");
    expect(await challengeIds(w, ["2026-06-01", "2026-06-02", "2026-06-03"])).toEqual([
      "only",
      "only",
      "only",
    ]);
  });

  it("GIVEN the bank used up today WHEN /challenge skip runs twice THEN neither replacement is a challenge posted earlier today", async () => {
    // A guild whose draw order would bring the first challenge back in the new cycle.
    const guildId = "100000000000000005";
    const w = await world("2026-06-01T08:00:00Z", [{ guildId }]);
    const deps = boot(w, "run");
    await runUntil(w, deps, "2026-06-03T08:01:00Z", 30_000, [guildId]);
    const posted = (await w.store.get(challengeKeys.day(guildId, "2026-06-03"), DaySchema))?.challenge.id;
    const first = await skipToday(w.store, w.clock, deps, guildId, "1");
    const second = await skipToday(w.store, w.clock, deps, guildId, "1");
    const today = [posted, first.day?.challenge.id, second.day?.challenge.id];
    expect(new Set(today).size).toBe(3);
  });

  it("GIVEN the zone moved west so the local date is back on yesterday WHEN /challenge skip THEN the current challenge is replaced, and yesterday's scored one stays", async () => {
    const member = "300000000000000001";
    const w = await world("2026-11-22T04:00:00Z", [{ timezone: "Asia/Kolkata" }]); // 09:30 in Kolkata
    const deps = boot(w, "run", [
      challenge("alpha"),
      challenge("beta"),
      challenge("gamma"),
      challenge("delta"),
    ]);
    await tick(w, deps); // posts 2026-11-22
    await submitAnswer(w.store, w.clock, GUILD, member, "My answer to the 22nd.");
    w.clock.set(utc("2026-11-23T04:00:00Z"));
    await tick(w, deps); // posts 2026-11-23 and reveals the 22nd
    expect((await getState(w.store, GUILD, w.clock)).current).toBe("2026-11-23");
    // In New York it is still 2026-11-22 (23:00).
    await setupGuild(w.store, w.clock, GUILD, { channelId: CHANNEL, timezone: "America/New_York", by: "1" });
    const skipped = await skipToday(w.store, w.clock, deps, GUILD, "1");
    expect(skipped.day?.date).toBe("2026-11-23");
    expect((await w.store.get(challengeKeys.day(GUILD, "2026-11-23"), DaySchema))?.version).toBe(1);
    expect((await w.store.get(challengeKeys.day(GUILD, "2026-11-22"), DaySchema))?.version).toBe(0);
    expect((await memberStreak(w.store, GUILD, member, w.clock)).points).toBe(10);
  });

  it("GIVEN a bank of one and no custom challenge WHEN /challenge skip THEN a UserError, and after /challenge add the skip posts the custom one", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    const deps = boot(w, "run", [challenge("only")]);
    await tick(w, deps);
    await expect(skipToday(w.store, w.clock, deps, GUILD, "1")).rejects.toThrow(/no other challenge/);
    expect(w.discord.posts(GUILD)).toHaveLength(1);
    await addCustomChallenge(w.store, w.clock, GUILD, "1", {
      title: "Our own N+1 hunt",
      topic: "Django",
      difficulty: "hard",
      track: "pair",
      prompt: "Find the N+1 in our project's order list and fix it together.",
      hints: ["Look at the serializer", null, undefined],
      answer: "select_related on the customer and prefetch the items.",
    });
    const outcome = await skipToday(w.store, w.clock, deps, GUILD, "1");
    expect(outcome).toMatchObject({ status: "posted", day: { challenge: { id: "custom-1" } } });
  });

  it("GIVEN a custom challenge queued WHEN the next day is posted THEN it goes ahead of the bank, once", async () => {
    const w = await world("2026-06-01T07:00:00Z");
    const deps = boot(w, "run");
    await addCustomChallenge(w.store, w.clock, GUILD, "1", {
      title: "Our own N+1 hunt",
      topic: "django orm and query optimisation",
      difficulty: "hard",
      track: "pair",
      prompt: "Find the N+1 in our project's order list and fix it together.",
      hints: ["Look at the serializer", null, undefined],
      answer: "select_related on the customer and prefetch the items.",
    });
    w.clock.set(utc("2026-06-01T08:00:00Z"));
    await tick(w, deps);
    w.clock.set(utc("2026-06-02T08:00:00Z"));
    await tick(w, deps);
    const first = await w.store.get(challengeKeys.day(GUILD, "2026-06-01"), DaySchema);
    const second = await w.store.get(challengeKeys.day(GUILD, "2026-06-02"), DaySchema);
    expect(first?.challenge).toMatchObject({ id: "custom-1", topic: "Django ORM and query optimisation" });
    expect(first?.source).toBe("custom");
    expect(second?.source).toBe("bank");
    expect((await getState(w.store, GUILD)).queue).toEqual([]);
  });
});

/** The 1st's challenge posted, then `/challenge skip` at 23:00 with Discord down (its channel broken). */
async function skippedLateWhileDown() {
  const w = await world("2026-06-01T09:00:00Z", [{ timezone: "UTC" }]);
  const deps = boot(w, "run");
  await tick(w, deps);
  w.clock.set(utc("2026-06-01T23:00:00Z"));
  w.discord.brokenChannels.add(CHANNEL);
  expect((await skipToday(w.store, w.clock, deps, GUILD, "1")).status).toBe("failed");
  return { w, deps };
}

describe("/challenge post and /challenge skip", () => {
  it("GIVEN today not posted WHEN /challenge post runs twice before post time THEN one post, and the schedule adds none", async () => {
    const w = await world("2026-06-01T06:00:00Z");
    const deps = boot(w, "run");
    expect((await postToday(w.store, w.clock, deps, GUILD)).status).toBe("posted");
    expect((await postToday(w.store, w.clock, deps, GUILD)).status).toBe("already");
    await runUntil(w, deps, "2026-06-01T12:00:00Z");
    expect(w.discord.posts(GUILD)).toHaveLength(1);
  });

  it("GIVEN concurrent /challenge post and a scheduler tick THEN one post", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    const deps = boot(w, "run");
    const other = boot(w, "other");
    await Promise.all([postToday(w.store, w.clock, deps, GUILD), tick(w, deps), tick(w, other)]);
    expect(w.discord.calls).toBe(1);
  });

  it("GIVEN today's post failed a few times (Discord was down) and Discord is back WHEN /challenge post THEN it is posted now, not after this run's back-off", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    const deps = boot(w, "run");
    w.discord.failNext("before", "before", "before", "before", "before");
    await runUntil(w, deps, "2026-06-01T08:15:00Z");
    expect(w.discord.calls).toBe(5); // the fifth failure backs off for 8 minutes
    expect((await postToday(w.store, w.clock, deps, GUILD)).status).toBe("recovered");
    expect(w.discord.posts(GUILD)).toHaveLength(1);
  });

  it("GIVEN the first challenge posted and the zone then moved west to the day before WHEN /challenge post THEN nothing is posted twice, and members' streaks keep only days they could answer", async () => {
    const member = "300000000000000001";
    const w = await world("2026-11-22T04:00:00Z", [{ timezone: "Asia/Kolkata" }]); // 09:30 in Kolkata
    const deps = boot(w, "run");
    await tick(w, deps); // the guild's first challenge, 2026-11-22
    await submitAnswer(w.store, w.clock, GUILD, member, "My answer to the 22nd.");
    // In New York it is still 2026-11-21 (23:00), a date that never had a challenge.
    await setupGuild(w.store, w.clock, GUILD, { channelId: CHANNEL, timezone: "America/New_York", by: "1" });
    const outcome = await postToday(w.store, w.clock, deps, GUILD);
    expect(outcome).toMatchObject({ status: "already", day: { date: "2026-11-22" } });
    expect(w.discord.posts(GUILD)).toHaveLength(1);
    expect((await getState(w.store, GUILD, w.clock)).postedDates).toEqual(["2026-11-22"]);
    expect((await memberStreak(w.store, GUILD, member, w.clock)).current).toBe(1);
  });

  it("GIVEN a day whose post Discord kept refusing, and the next day's posted WHEN the zone moves west back to that day THEN its claim stays unsent and streaks keep only days members could answer", async () => {
    const member = "300000000000000001";
    const w = await world("2026-11-21T04:00:00Z", [{ timezone: "Asia/Kolkata" }]); // 09:30 in Kolkata
    const deps = boot(w, "run");
    await tick(w, deps); // 2026-11-21
    await submitAnswer(w.store, w.clock, GUILD, member, "My answer to the 21st.");
    w.discord.brokenChannels.add(CHANNEL);
    await runUntil(w, deps, "2026-11-22T04:00:00Z"); // 2026-11-22 is claimed, and never sent
    w.discord.brokenChannels.delete(CHANNEL);
    w.clock.set(utc("2026-11-23T04:00:00Z"));
    await tick(w, deps); // 2026-11-23
    await submitAnswer(w.store, w.clock, GUILD, member, "My answer to the 23rd.");
    // In New York it is 2026-11-22 (23:00) again, the day whose claim is still unsent.
    await setupGuild(w.store, w.clock, GUILD, { channelId: CHANNEL, timezone: "America/New_York", by: "1" });
    await runUntil(w, deps, "2026-11-23T05:00:00Z");
    const dates = w.discord.posts(GUILD).map((m) => m.payload.embeds[0]?.footer?.text.slice(16, 26));
    expect(dates).toEqual(["2026-11-21", "2026-11-23"]);
    expect((await getState(w.store, GUILD, w.clock)).postedDates).toEqual(["2026-11-21", "2026-11-23"]);
    expect((await memberStreak(w.store, GUILD, member, w.clock)).current).toBe(2);
  });

  it("GIVEN no channel configured WHEN /challenge post THEN a UserError says to run setup", async () => {
    const w = await world("2026-06-01T08:00:00Z", []);
    await expect(postToday(w.store, w.clock, boot(w, "run"), GUILD)).rejects.toThrow(UserError);
  });

  it("GIVEN today's post WHEN /challenge skip THEN a different challenge is posted and becomes current, with its own hint", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    const deps = boot(w, "run");
    await tick(w, deps);
    const before = await w.store.get(challengeKeys.day(GUILD, "2026-06-01"), DaySchema);
    const outcome = await skipToday(w.store, w.clock, deps, GUILD, "1");
    expect(outcome.status).toBe("posted");
    expect(outcome.replaced.id).toBe(before?.challenge.id);
    const after = await w.store.get(challengeKeys.day(GUILD, "2026-06-01"), DaySchema);
    expect(after?.version).toBe(1);
    expect(after?.challenge.id).not.toBe(before?.challenge.id);
    expect(after?.replaced).toEqual([
      { challengeId: before?.challenge.id, messageId: before?.post.messageId },
    ]);
    expect(w.discord.posts(GUILD)).toHaveLength(2);
    await runUntil(w, deps, "2026-06-01T16:00:00Z");
    expect(w.discord.posts(GUILD)).toHaveLength(2);
    expect(w.discord.in(after?.post.threadId ?? "")).toHaveLength(1); // the replacement's hint
    expect(w.discord.in(before?.post.threadId ?? "")).toHaveLength(0);
  });

  it("GIVEN /challenge skip late in the day while Discord is down WHEN Discord is back only after midnight THEN the replacement is posted, and revealed when the next day's challenge is posted", async () => {
    const { w, deps } = await skippedLateWhileDown();
    await runUntil(w, deps, "2026-06-02T00:30:00Z");
    w.discord.brokenChannels.delete(CHANNEL);
    await runUntil(w, deps, "2026-06-02T12:00:00Z");
    const day = await w.store.get(challengeKeys.day(GUILD, "2026-06-01"), DaySchema);
    expect(day?.post.state).toBe("posted");
    expect(w.discord.posts(GUILD)).toHaveLength(3); // the first, its replacement, the next day's
    const reveals = w.discord
      .in(day?.post.threadId ?? "")
      .filter((m) => m.payload.embeds[0]?.title?.startsWith("Model answer"));
    expect(reveals).toHaveLength(1);
    expect(reveals[0]?.payload.embeds[0]?.description).toContain(day?.challenge.answer);
  });

  it("GIVEN /challenge skip late in the day while Discord is down WHEN the bot is back only days later, before that day's post time THEN the stale replacement is not posted (nor hinted or revealed); today's challenge is, once", async () => {
    const { w, deps } = await skippedLateWhileDown();
    await runUntil(w, deps, "2026-06-01T23:30:00Z");
    // The process is down until the 4th, 07:00, past the 2nd's and the 3rd's post times.
    w.discord.brokenChannels.delete(CHANNEL);
    w.clock.set(utc("2026-06-04T07:00:00Z"));
    const later = boot(w, "later");
    await runUntil(w, later, "2026-06-04T08:59:00Z");
    expect(w.discord.posts(GUILD)).toHaveLength(1); // the replaced one only
    await runUntil(w, later, "2026-06-04T12:00:00Z");
    expect(postTimes(w)).toEqual(["2026-06-01T09:00:00.000Z", "2026-06-04T09:00:00.000Z"]);
    expect(
      w.discord.messages.filter((m) => m.payload.embeds[0]?.footer?.text?.includes("2026-06-01")),
    ).toHaveLength(1);
  });

  it("GIVEN a bank of two used up WHEN /challenge skip on the day it runs out THEN the replacement is the other challenge", async () => {
    // A guild whose draw order would start the new cycle with the challenge being replaced.
    const guildId = "100000000000000005";
    const w = await world("2026-06-01T08:00:00Z", [{ guildId }]);
    const deps = boot(w, "run", SMALL_BANK.slice(0, 2));
    await runUntil(w, deps, "2026-06-02T10:00:00Z", 30_000, [guildId]);
    const outcome = await skipToday(w.store, w.clock, deps, guildId, "1");
    expect(outcome.day?.challenge.id).not.toBe(outcome.replaced.id);
  });

  it("GIVEN nothing posted today WHEN /challenge skip THEN a UserError points to /challenge post", async () => {
    const w = await world("2026-06-01T06:00:00Z");
    await expect(skipToday(w.store, w.clock, boot(w, "run"), GUILD, "1")).rejects.toThrow(/challenge post/);
  });
});

describe("a new channel setting before today's post is out", () => {
  const OTHER = "200000000000000002";
  const moveTo = (w: World, channelId: string) =>
    setupGuild(w.store, w.clock, GUILD, { channelId, timezone: "Europe/London", postTime: "09:00", by: "1" });

  /** Like Discord for a channel Nexus has no access to: sends are refused, and so are reads. */
  function noAccessTo(discord: MemorySender, channels: Set<string>): ChallengeSender {
    return {
      send: (guildId, channelId, payload, nonce) =>
        channels.has(channelId)
          ? Promise.reject(new SendRefusedError("Missing Access"))
          : discord.send(guildId, channelId, payload, nonce),
      find: (guildId, channelId, query) =>
        channels.has(channelId)
          ? Promise.reject(new Error("Missing Access"))
          : discord.find(guildId, channelId, query),
    };
  }

  it("GIVEN today's post failing in a channel that rejects it WHEN an admin sets another channel and runs /challenge post THEN it is posted there at once, and only once", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    const deps = boot(w, "run");
    w.discord.brokenChannels.add(CHANNEL);
    await runUntil(w, deps, "2026-06-01T08:10:00Z");
    await moveTo(w, OTHER);
    const manual = await postToday(w.store, w.clock, deps, GUILD);
    expect(manual).toMatchObject({
      status: "recovered",
      day: { post: { state: "posted", channelId: OTHER } },
    });
    await runUntil(w, deps, "2026-06-01T22:59:00Z");
    expect(w.discord.posts(GUILD).map((m) => m.channelId)).toEqual([OTHER]);
  });

  it("GIVEN today's post backing off after failures WHEN the channel setting changes THEN the next tick posts in the new channel", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    const deps = boot(w, "run");
    w.discord.brokenChannels.add(CHANNEL);
    await runUntil(w, deps, "2026-06-01T08:10:00Z");
    await moveTo(w, OTHER);
    await tick(w, deps);
    expect(w.discord.posts(GUILD).map((m) => m.channelId)).toEqual([OTHER]);
  });

  it("GIVEN a crash after Discord created the post WHEN the channel setting changes before the restart THEN the post is found in the old channel and none is sent in the new one", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    w.discord.failNext("after");
    await tick(w, boot(w, "crashed"));
    await moveTo(w, OTHER);
    w.clock.advance(MIN);
    await runUntil(w, boot(w, "restarted"), "2026-06-01T12:00:00Z");
    expect(w.discord.posts(GUILD).map((m) => m.channelId)).toEqual([CHANNEL]);
    const day = await w.store.get(challengeKeys.day(GUILD, "2026-06-01"), DaySchema);
    expect(day?.post).toMatchObject({ state: "posted", channelId: CHANNEL });
  });

  it("GIVEN every send refused in a channel Nexus cannot read WHEN the channel setting changes THEN the post moves to the new channel", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    const deps = { ...boot(w, "run"), sender: noAccessTo(w.discord, new Set([CHANNEL])) };
    await runUntil(w, deps, "2026-06-01T08:20:00Z");
    await moveTo(w, OTHER);
    await tick(w, deps);
    expect(w.discord.posts(GUILD).map((m) => m.channelId)).toEqual([OTHER]);
  });

  it("GIVEN a send of unknown outcome in a channel Nexus can no longer read WHEN the channel setting changes THEN nothing is posted in the new channel", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    w.discord.failNext("after");
    await tick(w, boot(w, "crashed"));
    await moveTo(w, OTHER);
    const deps = { ...boot(w, "restarted"), sender: noAccessTo(w.discord, new Set([CHANNEL])) };
    await runUntil(w, deps, "2026-06-01T12:00:00Z");
    expect(w.discord.posts(GUILD).map((m) => m.channelId)).toEqual([CHANNEL]);
  });
});

/**
 * A world on a SQLite file whose next `fault.commits` commits of ordinary writes fail (a transient disk
 * error): the whole transaction is rolled back. Claims (INSERT … DO NOTHING) are made as usual.
 */
async function failingSqliteWorld(start: string) {
  const dir = mkdtempSync(join(tmpdir(), "nexus-challenge-"));
  dirs.push(dir);
  const store = await openStore(`sqlite://${join(dir, "db.sqlite")}`, silentLogger());
  stores.push(store);
  const clock = new ManualClock(utc(start));
  await setupGuild(store, clock, GUILD, { channelId: CHANNEL, timezone: "UTC", postTime: "09:00", by: "1" });
  const adapter = store.keyv.store as unknown as {
    query(sql: string, ...args: unknown[]): Promise<unknown[]>;
  };
  const query = adapter.query.bind(adapter);
  const fault = { commits: 0 };
  adapter.query = async (sql, ...args) => {
    if (fault.commits > 0 && /DO UPDATE/.test(sql)) {
      fault.commits -= 1;
      throw new Error("SQLITE_IOERR: disk I/O error");
    }
    return query(sql, ...args);
  };
  const w: World = { store, clock, discord: new MemorySender(clock) };
  return { ...w, fault };
}

describe("a commit that fails once (SQLite)", () => {
  it("GIVEN one failed commit while today's post is claimed WHEN the scheduler keeps ticking THEN today's challenge is posted once", async () => {
    const w = await failingSqliteWorld("2026-06-01T09:00:00Z");
    const deps = boot(w, "run");
    w.fault.commits = 1;
    const events = await tick(w, deps);
    expect(events.map((e) => e.kind)).toEqual(["failed"]);
    // The day claim was made at once; the state write of the same section was rolled back.
    expect((await w.store.get(challengeKeys.day(GUILD, "2026-06-01"), DaySchema))?.post.state).toBe(
      "claimed",
    );
    await runUntil(w, deps, "2026-06-01T10:00:00Z");
    expect(w.discord.posts(GUILD)).toHaveLength(1);
    expect((await postToday(w.store, w.clock, deps, GUILD)).status).toBe("already");
  });

  it("GIVEN /challenge skip whose commit fails WHEN it rejects THEN this run is left sending nothing", async () => {
    const w = await failingSqliteWorld("2026-06-01T09:00:00Z");
    const deps = boot(w, "run");
    await tick(w, deps);
    w.fault.commits = 1;
    await expect(skipToday(w.store, w.clock, deps, GUILD, "1")).rejects.toThrow(/disk I\/O/);
    expect([...deps.runner.inFlight]).toEqual([]);
  });

  it("GIVEN /challenge skip whose commit fails once WHEN the admin runs it again THEN today's challenge is replaced", async () => {
    const w = await failingSqliteWorld("2026-06-01T09:00:00Z");
    const deps = boot(w, "run");
    await tick(w, deps);
    w.fault.commits = 1;
    await expect(skipToday(w.store, w.clock, deps, GUILD, "1")).rejects.toThrow(/disk I\/O/);
    expect((await w.store.get(challengeKeys.day(GUILD, "2026-06-01"), DaySchema))?.version).toBe(0);
    w.clock.advance(MIN);
    expect((await skipToday(w.store, w.clock, deps, GUILD, "1")).status).toBe("posted");
    expect((await w.store.get(challengeKeys.day(GUILD, "2026-06-01"), DaySchema))?.version).toBe(1);
    expect(w.discord.posts(GUILD)).toHaveLength(2);
  });
});

describe("isolation", () => {
  it("GIVEN one guild whose channel rejects sends THEN the other guilds still post", async () => {
    const w = await world("2026-06-01T08:00:00Z", [
      { guildId: "100000000000000401", channelId: "200000000000000401" },
      { guildId: "100000000000000402", channelId: "200000000000000402" },
    ]);
    w.discord.brokenChannels.add("200000000000000401");
    const events = await tick(w, boot(w, "run"), ["100000000000000401", "100000000000000402"]);
    expect(w.discord.posts("100000000000000402")).toHaveLength(1);
    expect(events.filter((e) => e.kind === "failed").map((e) => e.guildId)).toEqual(["100000000000000401"]);
  });
});
