import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { silentLogger } from "../../src/log.js";
import { claimNudge, dueForNudge, questionsDueForNudge } from "../../src/questions/nudge.js";
import {
  acceptAnswer,
  addAnswer,
  askQuestion,
  attachQuestionMessage,
} from "../../src/questions/questions.js";
import { NUDGE_AFTER_MS } from "../../src/questions/schema.js";
import { memoryStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";

const GUILD = "100";
const ASKER = "201";
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const HOUR = 3_600_000;

async function posted(store: Store, clock: ManualClock, title: string): Promise<number> {
  const question = await askQuestion(store, clock, GUILD, { authorId: ASKER, title });
  await attachQuestionMessage(store, GUILD, question.number, {
    channelId: "300",
    messageId: String(400 + question.number),
    threadId: String(400 + question.number),
  });
  return question.number;
}

describe("nudges", () => {
  it("GIVEN an unanswered question WHEN 47 h 59 min pass THEN nothing is due; at 48 h it is", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    await posted(store, clock, "How do I structure a Django monorepo?");
    clock.advance(NUDGE_AFTER_MS - 60_000);
    expect(await questionsDueForNudge(store, clock, GUILD)).toEqual([]);
    clock.advance(60_000);
    expect((await questionsDueForNudge(store, clock, GUILD)).map((e) => e.n)).toEqual([1]);
  });

  it("GIVEN answered, solved, unposted and fresh questions THEN only the old unanswered posted one is due", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    await posted(store, clock, "Old question nobody answered yet");
    await posted(store, clock, "Old question that has an answer");
    await addAnswer(store, clock, GUILD, { questionNumber: 2, authorId: "202", text: "Here you go" });
    await posted(store, clock, "Old question that got solved by asker");
    await addAnswer(store, clock, GUILD, { questionNumber: 3, authorId: ASKER, text: "Solved it" });
    await acceptAnswer(store, clock, GUILD, { answerId: "3-1", by: ASKER, canManageThreads: () => false });
    await askQuestion(store, clock, GUILD, { authorId: ASKER, title: "Old question never posted anywhere" });
    clock.advance(NUDGE_AFTER_MS);
    await posted(store, clock, "A fresh question asked just now");
    expect((await questionsDueForNudge(store, clock, GUILD)).map((e) => e.n)).toEqual([1]);
  });

  it("GIVEN a due question WHEN claimed twice (even concurrently) THEN it is nudged exactly once and is no longer due", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    await posted(store, clock, "How do I structure a Django monorepo?");
    clock.advance(NUDGE_AFTER_MS + HOUR);
    const claims = await Promise.all([1, 2, 3].map(() => claimNudge(store, clock, GUILD, 1)));
    expect(claims.filter((c) => c !== null)).toHaveLength(1);
    expect(claims.find((c) => c !== null)?.nudgedAt).toBe(T0 + NUDGE_AFTER_MS + HOUR);
    expect(await questionsDueForNudge(store, clock, GUILD)).toEqual([]);
    clock.advance(10 * NUDGE_AFTER_MS);
    expect(await claimNudge(store, clock, GUILD, 1)).toBeNull();
  });

  it("GIVEN a question answered between selection and claim THEN the claim refuses it", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    await posted(store, clock, "How do I structure a Django monorepo?");
    clock.advance(NUDGE_AFTER_MS);
    expect(await questionsDueForNudge(store, clock, GUILD)).toHaveLength(1);
    await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: "202", text: "Late answer" });
    expect(await claimNudge(store, clock, GUILD, 1)).toBeNull();
  });

  it("GIVEN several due questions THEN the oldest comes first", () => {
    const base = {
      author: ASKER,
      title: "t",
      topic: null,
      status: "open" as const,
      answers: 0,
      nudged: false,
      channelId: "1",
      messageId: "2",
      kw: "",
    };
    const due = dueForNudge(
      [
        { ...base, n: 2, createdAt: T0 + HOUR },
        { ...base, n: 1, createdAt: T0 },
        { ...base, n: 3, createdAt: T0, nudged: true },
      ],
      T0 + NUDGE_AFTER_MS + HOUR,
    );
    expect(due.map((e) => e.n)).toEqual([1, 2]);
  });
});
