import { describe, expect, it, vi } from "vitest";
import { addCustomChallenge, memberStreak, submitAnswer, todayView } from "../../src/challenge/learners.js";
import { type ChallengeDeps, createRunner, runDuePosts, skipToday } from "../../src/challenge/post.js";
import {
  type ChallengeState,
  CustomChallengeSchema,
  challengeKeys,
  DaySchema,
  getState,
  recoverState,
  StateSchema,
} from "../../src/challenge/records.js";
import { ManualClock } from "../../src/clock.js";
import { setupGuild } from "../../src/guild/config.js";
import { silentLogger } from "../../src/log.js";
import { memoryStore } from "../../src/store/open.js";
import type { KeyvStore } from "../../src/store/store.js";
import { challenge } from "../support/challenge-fixtures.js";
import { MemorySender } from "../support/challenge-sender.js";

const GUILD = "100000000000000001";
const ALICE = "300000000000000001";
const utc = (iso: string) => Date.parse(iso);
const DAMAGED = "\u0000 corrupted: not what this record should be";

const BANK = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"].map((id) => challenge(id));

const custom = (title: string) => ({
  title,
  topic: "Docker",
  difficulty: "easy",
  track: "backend",
  prompt: "Write a compose file that runs the app and its database.",
  hints: ["Use a named volume"],
  answer: "Two services and a volume.",
});

/** The guild as an admin set it up: its channel, London time, posts at 09:00. */
function setUpLondon(store: KeyvStore, clock: ManualClock) {
  return setupGuild(store, clock, GUILD, {
    channelId: "200000000000000001",
    timezone: "Europe/London",
    postTime: "09:00",
    by: "1",
  });
}

type World = { store: KeyvStore; clock: ManualClock; deps: ChallengeDeps };

/**
 * Three posted days with a skip and two custom challenges: 06-01 bank, 06-02 bank then skipped to another
 * bank one, customs #1 and #2 added, 06-03 draws custom #1 (#2 still queued). Alice answered each day.
 */
async function history(): Promise<World & { before: ChallengeState }> {
  const clock = new ManualClock(utc("2026-06-01T07:00:00Z"));
  const store = memoryStore(silentLogger());
  await setUpLondon(store, clock);
  const deps = { runner: createRunner(clock, "run"), sender: new MemorySender(clock), bank: BANK };
  for (const date of ["2026-06-01", "2026-06-02", "2026-06-03"]) {
    clock.set(utc(`${date}T08:00:00Z`));
    await runDuePosts(store, clock, deps, [GUILD]);
    if (date === "2026-06-02") {
      await skipToday(store, clock, deps, GUILD, "1");
      clock.advance(60_000);
      await addCustomChallenge(store, clock, GUILD, "1", custom("First custom challenge"));
      await addCustomChallenge(store, clock, GUILD, "1", custom("Second custom challenge"));
    }
    await submitAnswer(store, clock, GUILD, ALICE, `answer for ${date}`);
  }
  const before = await store.get(challengeKeys.state(GUILD), StateSchema);
  if (before === undefined) throw new Error("no state");
  return { store, clock, deps, before };
}

const sortedUsed = (state: ChallengeState) => ({ ...state, used: [...state.used].sort() });

describe("recoverState", () => {
  it("GIVEN posted days, a skip and custom challenges WHEN the state is rebuilt THEN it equals the state that was lost", async () => {
    const { store, clock, before } = await history();
    expect(before).toMatchObject({ queue: [2], customSeq: 2, current: "2026-06-03", previous: "2026-06-02" });
    await store.keyv.set(challengeKeys.state(GUILD), DAMAGED);
    expect(sortedUsed(await recoverState(store, clock, GUILD))).toEqual(sortedUsed(before));
  });

  it("GIVEN the state fails its schema WHEN an admin adds a custom challenge THEN it gets the next number and #1 is kept", async () => {
    const { store, clock } = await history();
    const first = await store.get(challengeKeys.custom(GUILD, 1), CustomChallengeSchema);
    await store.keyv.set(challengeKeys.state(GUILD), DAMAGED);
    const added = await addCustomChallenge(store, clock, GUILD, "1", custom("Third custom challenge"));
    expect(added).toMatchObject({ id: "custom-3", position: 2 });
    expect(await store.get(challengeKeys.custom(GUILD, 1), CustomChallengeSchema)).toEqual(first);
  });

  it("GIVEN the state fails its schema WHEN members read today's challenge and their streak THEN both are as before the damage", async () => {
    const { store, clock } = await history();
    await store.keyv.set(challengeKeys.state(GUILD), DAMAGED);
    const view = await todayView(store, clock, GUILD, ALICE);
    expect(view.day?.date).toBe("2026-06-03");
    expect(await memberStreak(store, GUILD, ALICE, clock)).toMatchObject({
      current: 3,
      answeredCurrent: true,
    });
  });

  it("GIVEN the state fails its schema WHEN the next days are posted THEN the queued custom comes first and no bank challenge of the cycle repeats", async () => {
    const { store, clock, deps } = await history();
    await store.keyv.set(challengeKeys.state(GUILD), DAMAGED);
    const drawn: string[] = [];
    for (const date of ["2026-06-04", "2026-06-05", "2026-06-06", "2026-06-07"]) {
      clock.set(utc(`${date}T08:00:00Z`));
      await runDuePosts(store, clock, deps, [GUILD]);
      drawn.push((await store.get(challengeKeys.day(GUILD, date), DaySchema))?.challenge.id ?? "");
    }
    const earlier: string[] = [];
    for (const date of ["2026-06-01", "2026-06-02"]) {
      const day = await store.get(challengeKeys.day(GUILD, date), DaySchema);
      earlier.push(day?.challenge.id ?? "", ...(day?.replaced.map((r) => r.challengeId) ?? []));
    }
    expect(drawn[0]).toBe("custom-2");
    expect(new Set([...earlier, ...drawn.slice(1)]).size).toBe(6); // the whole bank, once each
    expect((await getState(store, GUILD, clock)).cycle).toBe(0);
  });

  it("GIVEN the state fails its schema WHEN the scheduler ticks THEN it saves the rebuilt state and keeps the damaged copy aside", async () => {
    const { store, clock, deps, before } = await history();
    await store.keyv.set(challengeKeys.state(GUILD), DAMAGED);
    clock.advance(60_000);
    await runDuePosts(store, clock, deps, [GUILD]);
    const saved = await store.get(challengeKeys.state(GUILD), StateSchema);
    expect(saved && sortedUsed(saved)).toEqual(sortedUsed(before));
    const keys = [...(store.keyv.store as Map<string, unknown>).keys()];
    expect(keys.some((key) => key.startsWith(`nexus:quarantine:${challengeKeys.state(GUILD)}:`))).toBe(true);
  });

  it("GIVEN a custom challenge added before the latest bank draw WHEN the state is rebuilt THEN it is not queued again", async () => {
    const clock = new ManualClock(utc("2026-06-01T07:00:00Z"));
    const store = memoryStore(silentLogger());
    await store.set(challengeKeys.custom(GUILD, 1), CustomChallengeSchema, {
      ...challenge("custom-1"),
      addedBy: "1",
      addedAt: utc("2026-01-01T00:00:00Z"), // drawn long ago, outside the days the rebuild reads
    });
    await setUpLondon(store, clock);
    const deps = { runner: createRunner(clock, "run"), sender: new MemorySender(clock), bank: BANK };
    await store.set(challengeKeys.state(GUILD), StateSchema, { customSeq: 1 }); // custom #1 already drawn
    clock.set(utc("2026-06-01T08:00:00Z"));
    await runDuePosts(store, clock, deps, [GUILD]);
    await store.keyv.set(challengeKeys.state(GUILD), DAMAGED);
    expect(await recoverState(store, clock, GUILD)).toMatchObject({ customSeq: 1, queue: [] });
  });

  it("GIVEN a guild that never had a challenge WHEN the state is read THEN it is the empty state and nothing is written", async () => {
    const store = memoryStore(silentLogger());
    const set = vi.spyOn(store, "set");
    expect(await getState(store, GUILD, new ManualClock(utc("2026-06-01T07:00:00Z")))).toEqual(
      StateSchema.parse({}),
    );
    expect(set).not.toHaveBeenCalled();
  });
});
