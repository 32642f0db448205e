import { describe, expect, it } from "vitest";
import { ChallengeSchema } from "../../src/challenge/bank.js";
import { challengeLeaderboard } from "../../src/challenge/leaderboard.js";
import {
  addCustomChallenge,
  challengePoints,
  memberStreak,
  streakOf,
  submitAnswer,
  takeHint,
  todayView,
  updateChallengeSettings,
} from "../../src/challenge/learners.js";
import { type ChallengeDeps, createRunner, runDuePosts, skipToday } from "../../src/challenge/post.js";
import {
  challengeKeys,
  EntrySchema,
  getSettings,
  getState,
  SubsSchema,
  TotalsSchema,
} from "../../src/challenge/records.js";
import { markers } from "../../src/challenge/render.js";
import { ManualClock } from "../../src/clock.js";
import { UserError } from "../../src/discord/errors.js";
import { setupGuild } from "../../src/guild/config.js";
import { silentLogger } from "../../src/log.js";
import { memoryStore } from "../../src/store/open.js";
import type { KeyvStore, Store } from "../../src/store/store.js";
import { addDays } from "../../src/time.js";
import { MemorySender } from "../support/challenge-sender.js";

const GUILD = "100000000000000001";
const ALICE = "300000000000000001";
const BOB = "300000000000000002";
const utc = (iso: string) => Date.parse(iso);
const HARD = ChallengeSchema.parse({
  id: "hard-one",
  title: "A hard one",
  topic: "Docker",
  difficulty: "hard",
  track: "backend",
  prompt: "Explain container networking from first principles, please.",
  hints: ["Hint number one", "Hint number two", "Hint number three"],
  answer: "Namespaces, veth pairs and a bridge.",
});

type World = { store: Store; clock: ManualClock; deps: ChallengeDeps; discord: MemorySender };

async function world(
  start: string,
  timezone = "Europe/London",
  postTime = "09:00",
  bank = [HARD],
): Promise<World> {
  const clock = new ManualClock(utc(start));
  const store = memoryStore(silentLogger());
  await setupGuild(store, clock, GUILD, { channelId: "200000000000000001", timezone, postTime, by: "1" });
  const discord = new MemorySender(clock);
  return {
    store,
    clock,
    discord,
    deps: { runner: createRunner(clock, "run"), sender: discord, bank },
  };
}

/** Moves to `iso` and lets the scheduler post whatever is due. */
async function at(w: World, iso: string): Promise<void> {
  w.clock.set(utc(iso));
  await runDuePosts(w.store, w.clock, w.deps, [GUILD]);
}

describe("/challenge submit", () => {
  it("GIVEN no challenge yet WHEN a member submits THEN a UserError says there is none", async () => {
    const w = await world("2026-06-01T07:00:00Z");
    await expect(submitAnswer(w.store, w.clock, GUILD, ALICE, "my answer")).rejects.toThrow(UserError);
  });

  it.each([
    ["", /empty/],
    ["   \n ", /empty/],
    ["x".repeat(2001), /2,000 characters/],
  ])("GIVEN the answer %# WHEN submitted THEN a UserError names the rule", async (answer, message) => {
    const w = await world("2026-06-01T08:00:00Z");
    await at(w, "2026-06-01T08:00:00Z");
    await expect(submitAnswer(w.store, w.clock, GUILD, ALICE, answer)).rejects.toThrow(message);
  });

  it("GIVEN an answer of exactly 2,000 characters THEN it is accepted", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    await at(w, "2026-06-01T08:00:00Z");
    await expect(submitAnswer(w.store, w.clock, GUILD, ALICE, "y".repeat(2000))).resolves.toMatchObject({
      edited: false,
    });
  });

  it("GIVEN an answer of 2,000 characters as Discord counts them, emoji included THEN it is accepted and kept; 2,001 is refused", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    await at(w, "2026-06-01T08:00:00Z");
    const answer = "🧩".repeat(2000); // 2,000 characters, 4,000 UTF-16 units
    await expect(submitAnswer(w.store, w.clock, GUILD, ALICE, `${answer}🧩`)).rejects.toThrow(/too long/);
    await expect(submitAnswer(w.store, w.clock, GUILD, ALICE, answer)).resolves.toMatchObject({
      edited: false,
    });
    const again = await submitAnswer(w.store, w.clock, GUILD, ALICE, answer);
    expect(again.edited).toBe(true);
  });

  it("GIVEN a submission WHEN the member submits again before the reveal THEN it replaces the first: one entry, same points", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    await at(w, "2026-06-01T08:00:00Z");
    const first = await submitAnswer(w.store, w.clock, GUILD, ALICE, "first try");
    w.clock.advance(60_000);
    const second = await submitAnswer(w.store, w.clock, GUILD, ALICE, "better answer");
    expect(first).toMatchObject({ edited: false, points: 30, date: "2026-06-01" });
    expect(second).toMatchObject({ edited: true, points: 30 });
    const subs = await w.store.get(challengeKeys.subs(GUILD, "2026-06-01"), SubsSchema);
    expect(subs?.entries).toEqual([{ u: ALICE, p: 30, b: 0 }]);
    const entry = await w.store.get(challengeKeys.entry(GUILD, "2026-06-01", ALICE), EntrySchema);
    expect(entry).toMatchObject({ answer: "better answer", submittedAt: utc("2026-06-01T08:00:00Z") });
    expect((await memberStreak(w.store, GUILD, ALICE)).points).toBe(30);
  });

  it("GIVEN the next challenge was posted (the reveal) WHEN a member submits THEN it counts for the new day, and yesterday's count is frozen", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    await at(w, "2026-06-01T08:00:00Z");
    await submitAnswer(w.store, w.clock, GUILD, ALICE, "day one");
    await at(w, "2026-06-02T08:00:00Z");
    const result = await submitAnswer(w.store, w.clock, GUILD, BOB, "late for day one");
    expect(result.date).toBe("2026-06-02");
    const dayOne = await w.store.get(challengeKeys.subs(GUILD, "2026-06-01"), SubsSchema);
    expect(dayOne?.entries.map((e) => e.u)).toEqual([ALICE]);
  });

  it("GIVEN a member's answer THEN the day's reveal shows only the count, never the answer text", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    await at(w, "2026-06-01T08:00:00Z");
    await submitAnswer(w.store, w.clock, GUILD, ALICE, "secret answer text");
    await at(w, "2026-06-02T08:00:00Z");
    expect(JSON.stringify(w.discord.messages)).not.toContain("secret answer text");
  });
});

describe("/challenge hint", () => {
  it("GIVEN no hint released WHEN asked without early THEN no hints; WITH early THEN the next one, for fewer points", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    await at(w, "2026-06-01T08:00:00Z");
    expect((await takeHint(w.store, w.clock, GUILD, ALICE, false)).hints).toEqual([]);
    const early = await takeHint(w.store, w.clock, GUILD, ALICE, true);
    expect(early).toMatchObject({ hints: ["Hint number one"], unlocked: 1, points: 23, hintsLeft: 2 });
    const again = await takeHint(w.store, w.clock, GUILD, ALICE, true);
    expect(again).toMatchObject({ hints: ["Hint number one", "Hint number two"], points: 15 });
    expect((await submitAnswer(w.store, w.clock, GUILD, ALICE, "answer")).points).toBe(15);
    // Bob took no hint early: full points.
    expect((await submitAnswer(w.store, w.clock, GUILD, BOB, "answer")).points).toBe(30);
  });

  it("GIVEN the first hint released to everyone THEN everybody sees it for free, and early hints start at the second", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    await at(w, "2026-06-01T08:00:00Z");
    await at(w, "2026-06-01T14:00:00Z"); // 6 h later: hint 1 released in the thread
    const view = await takeHint(w.store, w.clock, GUILD, BOB, false);
    expect(view).toMatchObject({ hints: ["Hint number one"], points: 30 });
    const early = await takeHint(w.store, w.clock, GUILD, BOB, true);
    expect(early).toMatchObject({ unlocked: 2, points: 23 });
  });

  it("GIVEN a member who submits first WHEN she then unlocks every hint early THEN they cost her the same points as before submitting, everywhere", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    await at(w, "2026-06-01T08:00:00Z");
    for (let i = 0; i < 3; i += 1) await takeHint(w.store, w.clock, GUILD, BOB, true);
    expect((await submitAnswer(w.store, w.clock, GUILD, BOB, "answer")).points).toBe(8);
    expect((await submitAnswer(w.store, w.clock, GUILD, ALICE, "answer")).points).toBe(30);
    for (let i = 0; i < 3; i += 1) await takeHint(w.store, w.clock, GUILD, ALICE, true);
    expect(await todayView(w.store, w.clock, GUILD, ALICE)).toMatchObject({ submitted: true, points: 8 });
    const entry = await w.store.get(challengeKeys.entry(GUILD, "2026-06-01", ALICE), EntrySchema);
    expect(entry).toMatchObject({ earlyHints: 3, points: 8 });
    const subs = await w.store.get(challengeKeys.subs(GUILD, "2026-06-01"), SubsSchema);
    expect(subs?.entries.find((e) => e.u === ALICE)?.p).toBe(8);
    expect(await memberStreak(w.store, GUILD, ALICE, w.clock)).toMatchObject({ points: 8, submissions: 1 });
    const both = [
      { userId: ALICE, points: 8 },
      { userId: BOB, points: 8 },
    ];
    expect(await challengeLeaderboard(w.store, w.clock, GUILD, "all")).toEqual(both);
    expect(await challengeLeaderboard(w.store, w.clock, GUILD, "week")).toEqual(both);
  });

  it("GIVEN every hint seen WHEN asking for one more early THEN a UserError says so", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    await at(w, "2026-06-01T08:00:00Z");
    for (let i = 0; i < 3; i += 1) await takeHint(w.store, w.clock, GUILD, ALICE, true);
    await expect(takeHint(w.store, w.clock, GUILD, ALICE, true)).rejects.toThrow(/every hint/);
    expect(challengePoints("hard", 3)).toBe(8);
  });
});

describe("/challenge today", () => {
  it("GIVEN nothing posted THEN the view says when the next post comes", async () => {
    const w = await world("2026-06-01T07:00:00Z");
    expect(await todayView(w.store, w.clock, GUILD, ALICE)).toEqual({
      day: null,
      nextPostAt: utc("2026-06-01T08:00:00Z"),
      pending: null,
    });
  });

  it("GIVEN /challenge skip whose replacement Discord has not taken yet THEN the view says a replacement is being posted, not that none was posted", async () => {
    const bank = [HARD, ChallengeSchema.parse({ ...HARD, id: "hard-two", title: "Another hard one" })];
    const w = await world("2026-06-01T08:00:00Z", "Europe/London", "09:00", bank);
    await at(w, "2026-06-01T08:00:00Z");
    w.discord.failNext("before");
    expect((await skipToday(w.store, w.clock, w.deps, GUILD, "1")).status).toBe("failed");
    expect(await todayView(w.store, w.clock, GUILD, ALICE)).toMatchObject({
      day: null,
      pending: "replacement",
    });
  });

  it("GIVEN a /challenge skip replacement Discord never took WHEN the next day's post time has passed without a tick (the bot was down) THEN the view no longer says it is being posted", async () => {
    const bank = [HARD, ChallengeSchema.parse({ ...HARD, id: "hard-two", title: "Another hard one" })];
    const w = await world("2026-06-01T08:00:00Z", "Europe/London", "09:00", bank);
    await at(w, "2026-06-01T08:00:00Z");
    w.clock.set(utc("2026-06-01T21:00:00Z"));
    w.discord.failNext("before");
    expect((await skipToday(w.store, w.clock, w.deps, GUILD, "1")).status).toBe("failed");
    w.clock.set(utc("2026-06-02T07:00:00Z")); // before the 2nd's post: still retried
    expect(await todayView(w.store, w.clock, GUILD, ALICE)).toMatchObject({ pending: "replacement" });
    w.clock.set(utc("2026-06-04T07:00:00Z"));
    expect(await todayView(w.store, w.clock, GUILD, ALICE)).toEqual({
      day: null,
      nextPostAt: utc("2026-06-04T08:00:00Z"),
      pending: null,
    });
  });

  it("GIVEN today's post Discord has not taken yet THEN the view says it is being posted", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    w.discord.failNext("before");
    await at(w, "2026-06-01T08:00:00Z");
    expect(await todayView(w.store, w.clock, GUILD, ALICE)).toMatchObject({ day: null, pending: "post" });
  });

  it("GIVEN a posted challenge THEN the member sees it with their own state", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    await at(w, "2026-06-01T08:00:00Z");
    await submitAnswer(w.store, w.clock, GUILD, ALICE, "done");
    const view = await todayView(w.store, w.clock, GUILD, ALICE);
    expect(view).toMatchObject({ submitted: true, hints: [], hintsLeft: 3 });
    expect(view.day?.challenge.id).toBe("hard-one");
  });
});

describe("streaks and points by the guild's local day", () => {
  it("GIVEN submissions on three consecutive challenge days THEN the streak is 3; a missed day breaks it; best stays", async () => {
    const w = await world("2026-06-01T08:00:00Z");
    for (const date of ["2026-06-01", "2026-06-02", "2026-06-03"]) {
      await at(w, `${date}T08:00:00Z`);
      await submitAnswer(w.store, w.clock, GUILD, ALICE, `answer for ${date}`);
    }
    expect(await memberStreak(w.store, GUILD, ALICE)).toMatchObject({
      current: 3,
      best: 3,
      points: 90,
      submissions: 3,
      answeredCurrent: true,
    });
    await at(w, "2026-06-04T08:00:00Z");
    // The current day is not answered yet: the streak is not broken yet.
    expect((await memberStreak(w.store, GUILD, ALICE)).current).toBe(3);
    await at(w, "2026-06-05T08:00:00Z");
    expect(await memberStreak(w.store, GUILD, ALICE)).toMatchObject({ current: 0, best: 3 });
    await submitAnswer(w.store, w.clock, GUILD, ALICE, "back again");
    expect(await memberStreak(w.store, GUILD, ALICE)).toMatchObject({ current: 1, best: 3 });
  });

  it("GIVEN a member who answered 402 challenge days in a row, longer than the 400 dates kept THEN her streak is 402, before and after the next day's challenge is posted", async () => {
    const w = await world("2025-01-01T12:00:00Z", "UTC");
    let date = "2025-01-01";
    for (let day = 0; day < 402; day += 1) {
      await at(w, `${date}T12:00:00Z`);
      await submitAnswer(w.store, w.clock, GUILD, ALICE, `answer for ${date}`);
      date = addDays(date, 1);
    }
    expect(await memberStreak(w.store, GUILD, ALICE)).toMatchObject({ current: 402, best: 402 });
    await at(w, `${date}T12:00:00Z`);
    expect(await memberStreak(w.store, GUILD, ALICE)).toMatchObject({ current: 402, best: 402 });
  }, 60_000);

  it("GIVEN the all-time totals record is lost or damaged WHEN a member submits THEN the totals are summed again from every posted day's submissions, this one included", async () => {
    for (const damage of ["lost", "damaged"] as const) {
      const w = await world("2026-06-01T08:00:00Z");
      for (const date of ["2026-06-01", "2026-06-02"]) {
        await at(w, `${date}T08:00:00Z`);
        await submitAnswer(w.store, w.clock, GUILD, ALICE, `answer for ${date}`);
        await submitAnswer(w.store, w.clock, GUILD, BOB, `bob's answer for ${date}`);
      }
      await at(w, "2026-06-03T08:00:00Z");
      await submitAnswer(w.store, w.clock, GUILD, BOB, "bob on the third day");
      const totalsKey = challengeKeys.totals(GUILD);
      expect(await challengeLeaderboard(w.store, w.clock, GUILD, "all")).toEqual([
        { userId: BOB, points: 90 },
        { userId: ALICE, points: 60 },
      ]);
      if (damage === "lost") await w.store.delete(totalsKey);
      else await (w.store as KeyvStore).keyv.set(totalsKey, { points: { [ALICE]: -5 } });
      // Meanwhile the board reads the same sum without writing it.
      expect(await challengeLeaderboard(w.store, w.clock, GUILD, "all")).toEqual([
        { userId: BOB, points: 90 },
        { userId: ALICE, points: 60 },
      ]);
      expect(await w.store.get(totalsKey, TotalsSchema)).toBeUndefined();
      await submitAnswer(w.store, w.clock, GUILD, ALICE, "alice on the third day");
      expect(await challengeLeaderboard(w.store, w.clock, GUILD, "all"), damage).toEqual([
        { userId: ALICE, points: 90 },
        { userId: BOB, points: 90 },
      ]);
      // And it keeps counting from there: an edit before the reveal changes nothing, the next day adds.
      await submitAnswer(w.store, w.clock, GUILD, ALICE, "alice edits her answer");
      await at(w, "2026-06-04T08:00:00Z");
      await submitAnswer(w.store, w.clock, GUILD, BOB, "bob on the fourth day");
      expect(await challengeLeaderboard(w.store, w.clock, GUILD, "all")).toEqual([
        { userId: BOB, points: 120 },
        { userId: ALICE, points: 90 },
      ]);
    }
  });

  it("GIVEN a day with no challenge posted (bot down) THEN it does not break the streak", () => {
    expect(streakOf(["2026-06-01", "2026-06-03"], ["2026-06-01", "2026-06-03"], "2026-06-03")).toBe(2);
    expect(streakOf(["2026-06-01"], ["2026-06-01", "2026-06-02", "2026-06-03"], "2026-06-03")).toBe(0);
  });

  it("GIVEN an Auckland guild WHEN a member submits at 23:30 UTC THEN it counts for the local date (the next UTC day)", async () => {
    const w = await world("2026-06-01T20:00:00Z", "Pacific/Auckland", "09:00");
    await at(w, "2026-06-01T21:00:00Z"); // 09:00 NZST on June 2
    w.clock.set(utc("2026-06-01T23:30:00Z"));
    const result = await submitAnswer(w.store, w.clock, GUILD, ALICE, "kia ora");
    expect(result.date).toBe("2026-06-02");
    expect((await getState(w.store, GUILD)).postedDates).toEqual(["2026-06-02"]);
  });
});

describe("a challenge replaced by /challenge skip", () => {
  const BANK = [HARD, ChallengeSchema.parse({ ...HARD, id: "hard-two", title: "Another hard one" })];

  it("GIVEN a member who took a hint early and submitted WHEN the challenge is replaced THEN the new one starts fresh for them: not submitted, no hint, full points", async () => {
    const w = await world("2026-06-01T08:00:00Z", "Europe/London", "09:00", BANK);
    await at(w, "2026-06-01T08:00:00Z");
    await takeHint(w.store, w.clock, GUILD, ALICE, true);
    await submitAnswer(w.store, w.clock, GUILD, ALICE, "my answer to the first challenge");
    const skipped = await skipToday(w.store, w.clock, w.deps, GUILD, "1");
    const view = await todayView(w.store, w.clock, GUILD, ALICE);
    expect(view.day?.challenge.id).not.toBe(skipped.replaced.id);
    expect(view).toMatchObject({ submitted: false, hints: [], earlyHints: 0, points: 30 });
    const hint = await takeHint(w.store, w.clock, GUILD, ALICE, true);
    expect(hint).toMatchObject({ unlocked: 1, earlyHints: 1 });
    const result = await submitAnswer(w.store, w.clock, GUILD, ALICE, "my answer to the second one");
    expect(result).toMatchObject({ edited: false, points: 23 });
  });

  it("GIVEN submissions to a challenge WHEN it is replaced THEN they earn nothing: no points, streak day, submission, best or leaderboard place, and the reveal counts only answers to the new one", async () => {
    const w = await world("2026-06-01T08:00:00Z", "Europe/London", "09:00", BANK);
    await at(w, "2026-06-01T08:00:00Z");
    await submitAnswer(w.store, w.clock, GUILD, ALICE, "day one");
    await at(w, "2026-06-02T08:00:00Z");
    await submitAnswer(w.store, w.clock, GUILD, ALICE, "day two, first challenge");
    await submitAnswer(w.store, w.clock, GUILD, BOB, "bob on the first challenge");
    expect(await memberStreak(w.store, GUILD, ALICE)).toMatchObject({ current: 2, best: 2 });
    await skipToday(w.store, w.clock, w.deps, GUILD, "1");
    expect(await memberStreak(w.store, GUILD, ALICE)).toEqual({
      current: 1,
      best: 1,
      points: 30,
      submissions: 1,
      answeredCurrent: false,
    });
    expect(await memberStreak(w.store, GUILD, BOB)).toMatchObject({ points: 0, submissions: 0, best: 0 });
    for (const period of ["week", "all"] as const) {
      expect(await challengeLeaderboard(w.store, w.clock, GUILD, period)).toEqual([
        { userId: ALICE, points: 30 },
      ]);
    }
    await submitAnswer(w.store, w.clock, GUILD, BOB, "bob on the replacement");
    await at(w, "2026-06-03T08:00:00Z");
    const reveal = w.discord.messages.find(
      (m) => m.payload.embeds[0]?.footer?.text === markers.reveal("2026-06-02"),
    );
    expect(reveal?.payload.embeds[0]?.fields?.[0]?.value).toBe("1 member submitted an answer.");
    expect(await challengeLeaderboard(w.store, w.clock, GUILD, "all")).toEqual([
      { userId: ALICE, points: 30 },
      { userId: BOB, points: 30 },
    ]);
  });

  it("GIVEN an entry from before entries carried a version, submitted to a replacement WHEN the member submits again THEN it is an edit: her points and submissions are counted once", async () => {
    const w = await world("2026-06-01T08:00:00Z", "Europe/London", "09:00", BANK);
    await at(w, "2026-06-01T08:00:00Z");
    await skipToday(w.store, w.clock, w.deps, GUILD, "1");
    w.clock.advance(60_000);
    await submitAnswer(w.store, w.clock, GUILD, ALICE, "my answer to the replacement");
    // The record as the version before entries carried one wrote it.
    const key = challengeKeys.entry(GUILD, "2026-06-01", ALICE);
    const { version: _version, ...legacy } = (await w.store.get(key, EntrySchema)) ?? {};
    await w.store.set(key, EntrySchema.omit({ version: true }), legacy);
    const again = await submitAnswer(w.store, w.clock, GUILD, ALICE, "my answer, edited");
    expect(again).toMatchObject({ edited: true, points: 30 });
    expect(await memberStreak(w.store, GUILD, ALICE)).toMatchObject({ points: 30, submissions: 1 });
  });
});

describe("admin settings and custom challenges", () => {
  it("GIVEN a hint delay outside 0–23 THEN a UserError; GIVEN 0 THEN the first hint comes with the post", async () => {
    const w = await world("2026-06-01T07:00:00Z");
    await expect(
      updateChallengeSettings(w.store, w.clock, GUILD, "1", { hintDelayHours: 24 }),
    ).rejects.toThrow(/0 to 23/);
    await expect(
      updateChallengeSettings(w.store, w.clock, GUILD, "1", { hintDelayHours: 1.5 }),
    ).rejects.toThrow(UserError);
    expect((await getSettings(w.store, w.clock, GUILD)).hintDelayHours).toBe(6);
    await updateChallengeSettings(w.store, w.clock, GUILD, "1", { hintDelayHours: 0 });
    await at(w, "2026-06-01T08:00:00Z");
    const [post] = w.discord.posts(GUILD);
    expect(w.discord.in(post?.id ?? "")).toHaveLength(1);
  });

  it("GIVEN a custom challenge with a bad field THEN nothing is queued", async () => {
    const w = await world("2026-06-01T07:00:00Z");
    await expect(
      addCustomChallenge(w.store, w.clock, GUILD, "1", {
        title: "OK title",
        topic: "Docker",
        difficulty: "medium",
        track: "frontend",
        prompt: "short",
        hints: ["a hint"],
        answer: "A long enough answer.",
      }),
    ).rejects.toThrow(/`prompt`/);
    expect((await getState(w.store, GUILD)).queue).toEqual([]);
  });

  it("GIVEN two custom challenges THEN they get increasing ids and positions", async () => {
    const w = await world("2026-06-01T07:00:00Z");
    const input = {
      title: "Queue me",
      topic: "CI/CD",
      difficulty: "easy",
      track: "backend",
      prompt: "Write a workflow that runs the tests on every push.",
      hints: ["Use GitHub Actions"],
      answer: "A workflow with on: push and a test job.",
    };
    expect(await addCustomChallenge(w.store, w.clock, GUILD, "1", input)).toMatchObject({
      id: "custom-1",
      position: 1,
    });
    expect(await addCustomChallenge(w.store, w.clock, GUILD, "1", input)).toMatchObject({
      id: "custom-2",
      position: 2,
    });
  });
});
