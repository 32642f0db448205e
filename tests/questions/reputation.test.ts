import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { silentLogger } from "../../src/log.js";
import { acceptAnswer, addAnswer } from "../../src/questions/questions.js";
import {
  creditAnswer,
  memberReputation,
  periodStart,
  readRepLog,
  reputationBoard,
  tally,
} from "../../src/questions/reputation.js";
import { keys, type RepEvent, RepLogChunkSchema } from "../../src/questions/schema.js";
import { memoryStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { askPosted } from "../support/qa-fixtures.js";

const GUILD = "100";
const ASKER = "201";
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const DAY = 86_400_000;

function event(userId: string, at: number, extra: Partial<RepEvent> = {}): RepEvent {
  return { userId, points: 10, at, questionNumber: 1, answerNumber: 1, revokedAt: null, ...extra };
}

/** Asks a question, has `helper` answer it and the asker accept it, at the clock's time. */
async function solvedBy(store: Store, clock: ManualClock, helper: string): Promise<void> {
  const question = await askPosted(store, clock, GUILD, {
    authorId: ASKER,
    title: "How do I paginate a DRF viewset?",
  });
  const { answer } = await addAnswer(store, clock, GUILD, {
    questionNumber: question.number,
    authorId: helper,
    text: "Use PageNumberPagination",
  });
  await acceptAnswer(store, clock, GUILD, {
    answerId: `${question.number}-${answer.number}`,
    by: ASKER,
    canManageThreads: () => false,
  });
}

describe("tally", () => {
  it("GIVEN events THEN live ones since the start are summed per member, highest first, revoked ones ignored", () => {
    const rows = tally(
      [
        event("a", T0),
        event("b", T0 + 1),
        event("b", T0 + 2),
        event("c", T0 - DAY),
        event("a", T0 + 3, { revokedAt: T0 + 4 }),
      ],
      T0,
    );
    expect(rows).toEqual([
      { userId: "b", points: 20, accepted: 2 },
      { userId: "a", points: 10, accepted: 1 },
    ]);
  });

  it("GIVEN equal points THEN more accepted answers, then who got there first, then id break the tie", () => {
    const rows = tally(
      [
        event("late", T0 + 5),
        event("early", T0 + 1),
        event("many", T0, { points: 5 }),
        event("many", T0, { points: 5 }),
      ],
      0,
    );
    expect(rows.map((r) => r.userId)).toEqual(["many", "early", "late"]);
  });

  it("GIVEN periods THEN week and month are rolling 7 and 30 days and all starts at 0", () => {
    expect(periodStart("week", T0)).toBe(T0 - 7 * DAY);
    expect(periodStart("month", T0)).toBe(T0 - 30 * DAY);
    expect(periodStart("all", T0)).toBe(0);
  });
});

describe("boards", () => {
  it("GIVEN an old helper and a newcomer THEN the newcomer leads the week while the old helper leads all time", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    for (let i = 0; i < 3; i++) await solvedBy(store, clock, "301");
    clock.advance(25 * DAY);
    await solvedBy(store, clock, "302");
    await solvedBy(store, clock, "301");
    clock.advance(9 * DAY);
    await solvedBy(store, clock, "302");

    const week = await reputationBoard(store, clock, GUILD, "week", { userId: "301" });
    expect(week.rows).toEqual([{ userId: "302", points: 10, accepted: 1 }]);
    expect(week.you).toBeNull();
    const month = await reputationBoard(store, clock, GUILD, "month", { userId: "301" });
    expect(month.rows.map((r) => [r.userId, r.points])).toEqual([
      ["302", 20],
      ["301", 10],
    ]);
    expect(month.you).toEqual({ rank: 2, row: { userId: "301", points: 10, accepted: 1 } });
    const all = await reputationBoard(store, clock, GUILD, "all");
    expect(all.rows.map((r) => [r.userId, r.points])).toEqual([
      ["301", 40],
      ["302", 20],
    ]);
    expect(await memberReputation(store, GUILD, "301")).toEqual({ points: 40, accepted: 4 });
  });

  it("GIVEN a board limit THEN only the top rows are returned but the total counts everyone", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    for (let i = 0; i < 12; i++) await solvedBy(store, clock, String(400 + i));
    const board = await reputationBoard(store, clock, GUILD, "all", { limit: 10, userId: "411" });
    expect(board.rows).toHaveLength(10);
    expect(board.total).toBe(12);
    expect(board.you?.rank).toBe(12);
  });

  it("GIVEN 150 solved questions THEN the log spans two chunk keys and reads back whole", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    for (let i = 0; i < 150; i++) await solvedBy(store, clock, "500");
    expect(keys.repLog(GUILD, 1)).toBe("guild:100:questions:replog:1");
    expect(await readRepLog(store, GUILD)).toHaveLength(150);
    expect(await memberReputation(store, GUILD, "500")).toEqual({ points: 1500, accepted: 150 });
  });

  it("GIVEN a member with no accepted answers THEN reputation is zero", async () => {
    const store = memoryStore(silentLogger());
    expect(await memberReputation(store, GUILD, "999")).toEqual({ points: 0, accepted: 0 });
    expect((await reputationBoard(store, new ManualClock(T0), GUILD, "week")).rows).toEqual([]);
  });
});

describe("a lost or damaged log (the question records keep who was credited)", () => {
  const DAMAGED = "\u0000 corrupted: not what this record should be";

  it("GIVEN the Q&A counter fails its schema WHEN the board is read THEN every credit still counts", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    for (let i = 0; i < 3; i++) await solvedBy(store, clock, "301");
    await store.keyv.set(keys.meta(GUILD), DAMAGED);
    const board = await reputationBoard(store, clock, GUILD, "all");
    expect(board.rows).toEqual([{ userId: "301", points: 30, accepted: 3 }]);
  });

  it("GIVEN a log chunk fails its schema WHEN the board is read THEN its live credits are rebuilt from the questions", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    await solvedBy(store, clock, "301");
    await solvedBy(store, clock, "302");
    await solvedBy(store, clock, "302");
    await store.keyv.set(keys.repLog(GUILD, 0), DAMAGED);
    const events = await readRepLog(store, GUILD);
    expect(events.map((e) => [e.questionNumber, e.userId, e.points, e.revokedAt])).toEqual([
      [1, "301", 10, null],
      [2, "302", 10, null],
      [3, "302", 10, null],
    ]);
    expect((await reputationBoard(store, clock, GUILD, "all")).rows.map((r) => [r.userId, r.points])).toEqual(
      [
        ["302", 20],
        ["301", 10],
      ],
    );
  });

  it("GIVEN a log chunk fails its schema WHEN the asker accepts another answer THEN the credit moves: the chunk is rebuilt, the old event revoked and the totals follow", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    await askPosted(store, clock, GUILD, { authorId: ASKER, title: "How do I paginate a DRF viewset?" });
    await addAnswer(store, clock, GUILD, {
      questionNumber: 1,
      authorId: "301",
      text: "Use PageNumberPagination",
    });
    await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: "302", text: "Or use a cursor" });
    await acceptAnswer(store, clock, GUILD, { answerId: "1-1", by: ASKER, canManageThreads: () => false });
    expect(await memberReputation(store, GUILD, "301")).toEqual({ points: 10, accepted: 1 });
    await store.keyv.set(keys.repLog(GUILD, 0), DAMAGED);
    await acceptAnswer(store, clock, GUILD, { answerId: "1-2", by: ASKER, canManageThreads: () => false });
    const chunk = await store.get(keys.repLog(GUILD, 0), RepLogChunkSchema);
    expect(chunk?.events.map((e) => [e.userId, e.revokedAt === null])).toEqual([
      ["301", false],
      ["302", true],
    ]);
    expect(await memberReputation(store, GUILD, "301")).toEqual({ points: 0, accepted: 0 });
    expect(await memberReputation(store, GUILD, "302")).toEqual({ points: 10, accepted: 1 });
    expect((await reputationBoard(store, clock, GUILD, "all")).rows.map((r) => r.userId)).toEqual(["302"]);
  });

  it("GIVEN a member's total fails its schema WHEN they are next credited THEN it is summed from the log, not restarted from 0", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    for (let i = 0; i < 3; i++) await solvedBy(store, clock, "301");
    expect(await memberReputation(store, GUILD, "301")).toEqual({ points: 30, accepted: 3 });
    await store.keyv.set(keys.memberRep(GUILD, "301"), DAMAGED);
    await solvedBy(store, clock, "301");
    expect(await memberReputation(store, GUILD, "301")).toEqual({ points: 40, accepted: 4 });
    // And on a revocation: the credit moves away from them.
    await store.keyv.set(keys.memberRep(GUILD, "301"), DAMAGED);
    await askPosted(store, clock, GUILD, { authorId: ASKER, title: "How do I version a REST API?" });
    await addAnswer(store, clock, GUILD, { questionNumber: 5, authorId: "301", text: "In the URL" });
    await addAnswer(store, clock, GUILD, { questionNumber: 5, authorId: "302", text: "In a header" });
    await acceptAnswer(store, clock, GUILD, { answerId: "5-1", by: ASKER, canManageThreads: () => false });
    await store.keyv.set(keys.memberRep(GUILD, "301"), DAMAGED);
    await acceptAnswer(store, clock, GUILD, { answerId: "5-2", by: ASKER, canManageThreads: () => false });
    expect(await memberReputation(store, GUILD, "301")).toEqual({ points: 40, accepted: 4 });
    expect(await memberReputation(store, GUILD, "302")).toEqual({ points: 10, accepted: 1 });
  });

  it("GIVEN a member's total fails its schema or is lost WHEN /reputation is read THEN it shows the points the log holds, as the board does", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    for (let i = 0; i < 3; i++) await solvedBy(store, clock, "301");
    await solvedBy(store, clock, "302");
    await store.keyv.set(keys.memberRep(GUILD, "301"), DAMAGED);
    expect(await memberReputation(store, GUILD, "301")).toEqual({ points: 30, accepted: 3 });
    await store.delete(keys.memberRep(GUILD, "301"));
    expect(await memberReputation(store, GUILD, "301")).toEqual({ points: 30, accepted: 3 });
    expect((await reputationBoard(store, clock, GUILD, "all")).rows[0]).toEqual({
      userId: "301",
      points: 30,
      accepted: 3,
    });
  });

  it("GIVEN a log chunk fails its schema WHEN a new answer is accepted in it THEN the other credits are kept", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    await solvedBy(store, clock, "301");
    await store.keyv.set(keys.repLog(GUILD, 0), DAMAGED);
    await solvedBy(store, clock, "302");
    const chunk = await store.get(keys.repLog(GUILD, 0), RepLogChunkSchema);
    expect(chunk?.events.map((e) => [e.questionNumber, e.userId])).toEqual([
      [1, "301"],
      [2, "302"],
    ]);
  });

  it("GIVEN a log chunk fails its schema WHEN a credit is recorded in it directly THEN the chunk is rebuilt around it, not replaced by it", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    await solvedBy(store, clock, "301");
    await askPosted(store, clock, GUILD, { authorId: ASKER, title: "How do I cache a DRF viewset?" });
    await addAnswer(store, clock, GUILD, { questionNumber: 2, authorId: "302", text: "Use cache_page" });
    await store.keyv.set(keys.repLog(GUILD, 0), DAMAGED);
    await store.locked(GUILD, (section) =>
      creditAnswer(section, clock, GUILD, { questionNumber: 2, answerNumber: 1, userId: "302" }),
    );
    const chunk = await store.get(keys.repLog(GUILD, 0), RepLogChunkSchema);
    expect(chunk?.events.map((e) => [e.questionNumber, e.userId])).toEqual([
      [1, "301"],
      [2, "302"],
    ]);
  });
});
