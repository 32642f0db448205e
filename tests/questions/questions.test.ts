import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { UserError } from "../../src/discord/errors.js";
import { silentLogger } from "../../src/log.js";
import { readIndex } from "../../src/questions/catalog.js";
import {
  acceptAnswer,
  addAnswer,
  answersOf,
  askQuestion,
  attachQuestionMessage,
  claimAbandoned,
  getAnswer,
  getQuestion,
  markQuestionDeleted,
  parseAnswerId,
  REPOST_AFTER_MS,
  REPOSTS_PER_PASS,
  recordAnswerPlacement,
  retryAnswerLater,
  SETTLE_QUESTION_AFTER_MS,
} from "../../src/questions/questions.js";
import { memberReputation, readRepLog, tally } from "../../src/questions/reputation.js";
import { AnswerSchema, keys, OutboxSchema, QuestionSchema } from "../../src/questions/schema.js";
import { RETRY_TRIES_MAX, retryDelay } from "../../src/retry.js";
import { memoryStore, openStore } from "../../src/store/open.js";
import type { KeyvStore } from "../../src/store/store.js";
import { askPosted } from "../support/qa-fixtures.js";

const GUILD = "100";
const ASKER = "201";
const HELPER = "202";
const OTHER = "203";
const MOD = "204";
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const TITLE = "How do I run Django migrations in Docker?";

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

function memory(): KeyvStore {
  return memoryStore(silentLogger());
}

async function sqlite(): Promise<KeyvStore> {
  const dir = mkdtempSync(join(tmpdir(), "nexus-questions-"));
  const store = await openStore(`sqlite://${join(dir, "db.sqlite")}`, silentLogger());
  cleanup.push(async () => {
    await store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

/** A question as /ask leaves it once posted (its message and thread recorded). */
function ask(store: KeyvStore, clock: ManualClock, title = TITLE, authorId = ASKER) {
  return askPosted(store, clock, GUILD, { authorId, title, details: null, topic: null });
}

/** A question stored but not (yet) posted: a live /ask before its post, or a dead one's. */
function askUnposted(store: KeyvStore, clock: ManualClock, title = TITLE) {
  return askQuestion(store, clock, GUILD, { authorId: ASKER, title, details: null, topic: null });
}

async function expectUserError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  expect((error as Error).message).toMatch(pattern);
}

describe("/ask", () => {
  it("GIVEN valid input WHEN asked THEN the question gets the next per-guild number and is stored under its key", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    const first = await askPosted(store, clock, GUILD, {
      authorId: ASKER,
      title: `  ${TITLE}  `,
      details: "I get `relation does not exist`",
      topic: "docker",
    });
    const second = await ask(store, clock, "Why is my Celery worker not picking up tasks?");
    const elsewhere = await askQuestion(store, clock, "999", { authorId: ASKER, title: TITLE });
    expect([first.number, second.number, elsewhere.number]).toEqual([1, 2, 1]);
    expect(first).toMatchObject({
      title: TITLE,
      topic: "Docker",
      status: "open",
      answerCount: 0,
      createdAt: T0,
    });
    expect(keys.question(GUILD, 1)).toBe("guild:100:questions:q:1");
    expect(await store.get("guild:100:questions:q:1", QuestionSchema)).toEqual(first);
    expect((await readIndex(store, GUILD)).map((e) => e.n)).toEqual([1, 2]);
  });

  it.each([
    ["a title under 15 characters", "Why error?", /15–200 characters \(yours is 10\)/],
    ["a title over 200 characters", "x".repeat(201), /15–200 characters \(yours is 201\)/],
  ])(
    "GIVEN %s WHEN asked THEN a UserError names the rule and nothing is stored",
    async (_n, title, pattern) => {
      const store = memory();
      await expectUserError(ask(store, new ManualClock(T0), title), pattern);
      expect(await readIndex(store, GUILD)).toEqual([]);
    },
  );

  it("GIVEN details over 2,000 characters or an unknown topic THEN each is refused naming the rule", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await expectUserError(
      askPosted(store, clock, GUILD, { authorId: ASKER, title: TITLE, details: "d".repeat(2001) }),
      /at most 2000 characters/,
    );
    await expectUserError(
      askPosted(store, clock, GUILD, { authorId: ASKER, title: TITLE, topic: "Cobol" }),
      /not one of the program's topics/,
    );
  });

  it.each([
    ["memory", "fails its schema"],
    ["sqlite", "is undecodable"],
  ] as const)(
    "GIVEN (%s) the counter %s WHEN a member asks THEN the question gets a fresh number and Q1 is kept",
    async (backend, _how) => {
      const store = backend === "memory" ? memory() : await sqlite();
      const clock = new ManualClock(T0);
      const first = await ask(store, clock);
      for (let i = 0; i < 3; i++) await ask(store, clock, `Another question about Docker volumes ${i}`);
      if (backend === "memory") await store.keyv.set(keys.meta(GUILD), { lastNumber: "four" });
      else {
        const adapter = store.keyv.store as { set(key: string, value: string): Promise<unknown> };
        await adapter.set(`${store.keyv.namespace}:${keys.meta(GUILD)}`, '{"value": {"truncated');
      }
      const next = await ask(store, clock, "A new question after the damage", OTHER);
      expect(next.number).toBe(5);
      expect(await getQuestion(store, GUILD, 1)).toEqual(first);
      expect((await readIndex(store, GUILD)).map((e) => e.n)).toEqual([1, 2, 3, 4, 5]);
    },
  );
});

describe("/answer", () => {
  it("GIVEN a title and an answer at Discord's limits in characters, emoji included THEN both are saved and read back; one more is refused", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    // Discord counts code points: 🔥 is one character, two UTF-16 units.
    const title = `Why does this break my JSON parser ${"🔥".repeat(165)}`;
    const details = "🔥".repeat(2_000);
    const question = await askPosted(store, clock, GUILD, {
      authorId: ASKER,
      title,
      details,
      topic: null,
    });
    expect(question.title).toBe(title);
    const text = "🙂".repeat(2_000);
    await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: HELPER, text });
    expect((await getQuestion(store, GUILD, 1))?.details).toBe(details);
    expect((await getAnswer(store, GUILD, 1, 1))?.text).toBe(text);
    await expectUserError(ask(store, clock, `${title}🔥`), /\(yours is 201\)/);
    await expectUserError(
      addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: HELPER, text: `${text}🙂` }),
      /\(yours is 2001\)/,
    );
  });

  it("GIVEN an open question WHEN answered twice THEN answers are numbered 1 and 2 and stored before posting", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await ask(store, clock);
    const a1 = await addAnswer(store, clock, GUILD, {
      questionNumber: 1,
      authorId: HELPER,
      text: "Run migrate in the entrypoint.",
    });
    const a2 = await addAnswer(store, clock, GUILD, {
      questionNumber: 1,
      authorId: OTHER,
      text: "Use a one-off container.",
    });
    expect([a1.answer.number, a2.answer.number]).toEqual([1, 2]);
    expect(a2.question.answerCount).toBe(2);
    expect(await store.get(keys.answer(GUILD, 1, 1), AnswerSchema)).toMatchObject({
      placement: "pending",
      authorId: HELPER,
    });
    expect(keys.answer(GUILD, 1, 2)).toBe("guild:100:questions:a:1:2");
    expect((await readIndex(store, GUILD))[0]?.answers).toBe(2);
    await recordAnswerPlacement(store, GUILD, 1, 1, {
      placement: "thread",
      channelId: "300",
      messageId: "301",
    });
    const question = await getQuestion(store, GUILD, 1);
    if (question === undefined) throw new Error("missing");
    expect((await answersOf(store, GUILD, question)).map((a) => [a.number, a.placement])).toEqual([
      [1, "thread"],
      [2, "pending"],
    ]);
  });

  it("GIVEN an unknown id, empty text or text over 2,000 characters THEN each is refused naming the rule", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await ask(store, clock);
    await expectUserError(
      addAnswer(store, clock, GUILD, { questionNumber: 7, authorId: HELPER, text: "hi" }),
      /no question Q7/,
    );
    await expectUserError(
      addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: HELPER, text: "   " }),
      /needs some text/,
    );
    await expectUserError(
      addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: HELPER, text: "x".repeat(2001) }),
      /at most 2000 characters \(yours is 2001\)/,
    );
  });

  it("GIVEN a solved question THEN it takes no new answers", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await ask(store, clock);
    await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: HELPER, text: "This works." });
    await acceptAnswer(store, clock, GUILD, { answerId: "1-1", by: ASKER, canManageThreads: () => false });
    await expectUserError(
      addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: OTHER, text: "Me too" }),
      /Q1 is already solved \(answer 1-1 was accepted\)/,
    );
  });

  it("GIVEN a deleted question THEN answering and accepting are refused", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await ask(store, clock);
    await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: HELPER, text: "An answer" });
    await markQuestionDeleted(store, GUILD, 1);
    await expectUserError(
      addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: HELPER, text: "x" }),
      /Q1 was deleted/,
    );
    await expectUserError(
      acceptAnswer(store, clock, GUILD, { answerId: "1-1", by: ASKER, canManageThreads: () => false }),
      /Q1 was deleted/,
    );
  });

  it.each([
    ["memory", async () => memory()],
    ["sqlite", sqlite],
  ])(
    "GIVEN 300 concurrent answers to one question (%s) THEN they get 300 distinct numbers 1–300",
    async (_n, open) => {
      const store = await open();
      const clock = new ManualClock(T0);
      await ask(store, clock);
      const results = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          addAnswer(store, clock, GUILD, {
            questionNumber: 1,
            authorId: String(1000 + i),
            text: `answer ${i}`,
          }),
        ),
      );
      const numbers = results.map((r) => r.answer.number).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      const question = await getQuestion(store, GUILD, 1);
      expect(question?.answerCount).toBe(300);
      if (question === undefined) throw new Error("missing");
      const stored = await answersOf(store, GUILD, question);
      expect(new Set(stored.map((a) => a.authorId)).size).toBe(300);
      expect((await readIndex(store, GUILD))[0]?.answers).toBe(300);
    },
  );
});

describe("/accept", () => {
  async function answered(store: KeyvStore, clock: ManualClock) {
    await ask(store, clock);
    await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: HELPER, text: "First answer" });
    await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: OTHER, text: "Second answer" });
    await addAnswer(store, clock, GUILD, {
      questionNumber: 1,
      authorId: ASKER,
      text: "Figured it out myself",
    });
  }

  it("GIVEN answer ids THEN `12-3` and `Q12-3` parse and anything else is refused naming the form", () => {
    expect(parseAnswerId("12-3")).toEqual({ questionNumber: 12, answerNumber: 3 });
    expect(parseAnswerId(" q12 - 3 ")).toEqual({ questionNumber: 12, answerNumber: 3 });
    for (const bad of ["12", "12-", "x-1", "0-1", "1-0", "12-3-4"]) {
      expect(() => parseAnswerId(bad)).toThrow(/look like `12-3` \(question 12, answer 3\)/);
    }
  });

  it("GIVEN an answer id of emoji WHEN refused THEN the echo keeps each emoji whole, cut or not", () => {
    for (const bad of [`a${"😀".repeat(23)}`, `a${"😀".repeat(60)}`]) {
      // With the u flag, "😀+" matches whole emoji only: half of one before the "…" fails the match.
      expect(() => parseAnswerId(bad)).toThrow(/^“a😀+…?” is not an answer id/u);
    }
  });

  it("GIVEN the asker accepts an answer THEN the question is solved and the answerer earns 10 points", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await answered(store, clock);
    clock.advance(1000);
    const result = await acceptAnswer(store, clock, GUILD, {
      answerId: "1-1",
      by: ASKER,
      canManageThreads: () => false,
    });
    expect(result).toMatchObject({ changed: true, creditedTo: HELPER, previous: null });
    expect(result.question).toMatchObject({
      status: "solved",
      accepted: { answer: 1, by: ASKER, at: T0 + 1000, creditedTo: HELPER },
    });
    expect(await memberReputation(store, GUILD, HELPER)).toEqual({ points: 10, accepted: 1 });
    expect(keys.memberRep(GUILD, HELPER)).toBe("guild:100:questions:rep:202");
    expect((await readIndex(store, GUILD))[0]?.status).toBe("solved");
  });

  it("GIVEN a question not on Discord yet WHEN its asker accepts an answer THEN it is refused and stays open", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await askUnposted(store, clock);
    await addAnswer(store, clock, GUILD, {
      questionNumber: 1,
      authorId: HELPER,
      text: "Use select_related.",
    });
    await expectUserError(
      acceptAnswer(store, clock, GUILD, { answerId: "1-1", by: ASKER, canManageThreads: () => true }),
      /^Q1 is not on Discord yet/,
    );
    expect((await getQuestion(store, GUILD, 1))?.status).toBe("open");
    expect(await memberReputation(store, GUILD, HELPER)).toEqual({ points: 0, accepted: 0 });
  });

  it("GIVEN someone else than the asker without Manage Threads THEN accepting is refused; a moderator may", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await answered(store, clock);
    await expectUserError(
      acceptAnswer(store, clock, GUILD, { answerId: "1-1", by: HELPER, canManageThreads: () => false }),
      /Only the asker of Q1 .* or a member with \*\*Manage Threads\*\*/,
    );
    expect((await getQuestion(store, GUILD, 1))?.status).toBe("open");
    const result = await acceptAnswer(store, clock, GUILD, {
      answerId: "1-2",
      by: MOD,
      canManageThreads: () => true,
    });
    expect(result.creditedTo).toBe(OTHER);
  });

  it("GIVEN a moderator WHEN they accept their own answer to someone else's question THEN it is refused; Manage Threads is asked of the question's channel", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await answered(store, clock);
    await attachQuestionMessage(store, GUILD, 1, { channelId: "300", messageId: "400", threadId: "400" });
    await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: MOD, text: "Use a release phase." });
    const asked: Array<string | null> = [];
    const moderator = (channelId: string | null) => {
      asked.push(channelId);
      return true;
    };
    await expectUserError(
      acceptAnswer(store, clock, GUILD, { answerId: "1-4", by: MOD, canManageThreads: moderator }),
      /Answer 1-4 is your own: only the asker of Q1 .* or another member with \*\*Manage Threads\*\*/,
    );
    expect((await getQuestion(store, GUILD, 1))?.status).toBe("open");
    expect(await memberReputation(store, GUILD, MOD)).toEqual({ points: 0, accepted: 0 });
    expect(asked).toEqual(["300"]);
  });

  it("GIVEN an unknown question or answer id THEN accepting is refused naming it", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await answered(store, clock);
    await expectUserError(
      acceptAnswer(store, clock, GUILD, { answerId: "9-1", by: ASKER, canManageThreads: () => false }),
      /no question Q9/,
    );
    await expectUserError(
      acceptAnswer(store, clock, GUILD, { answerId: "1-4", by: ASKER, canManageThreads: () => false }),
      /Q1 has no answer 1-4 \(it has 3\)/,
    );
  });

  it("GIVEN a self-answer accepted THEN no one earns points", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await answered(store, clock);
    const result = await acceptAnswer(store, clock, GUILD, {
      answerId: "1-3",
      by: ASKER,
      canManageThreads: () => false,
    });
    expect(result.creditedTo).toBeNull();
    expect(await memberReputation(store, GUILD, ASKER)).toEqual({ points: 0, accepted: 0 });
    expect(await readRepLog(store, GUILD)).toEqual([]);
  });

  it("GIVEN an accepted answer WHEN another is accepted THEN the credit moves and never doubles; repeating is a no-op", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await answered(store, clock);
    await acceptAnswer(store, clock, GUILD, { answerId: "1-1", by: ASKER, canManageThreads: () => false });
    clock.advance(60_000);
    const moved = await acceptAnswer(store, clock, GUILD, {
      answerId: "1-2",
      by: ASKER,
      canManageThreads: () => false,
    });
    expect(moved.previous?.number).toBe(1);
    const again = await acceptAnswer(store, clock, GUILD, {
      answerId: "1-2",
      by: ASKER,
      canManageThreads: () => false,
    });
    expect(again.changed).toBe(false);
    expect(await memberReputation(store, GUILD, HELPER)).toEqual({ points: 0, accepted: 0 });
    expect(await memberReputation(store, GUILD, OTHER)).toEqual({ points: 10, accepted: 1 });
    const log = await readRepLog(store, GUILD);
    expect(log.map((e) => [e.userId, e.points, e.revokedAt])).toEqual([
      [HELPER, 10, T0 + 60_000],
      [OTHER, 10, null],
    ]);
    // moving to a self-answer takes the points back without giving any
    await acceptAnswer(store, clock, GUILD, { answerId: "1-3", by: ASKER, canManageThreads: () => false });
    expect(await memberReputation(store, GUILD, OTHER)).toEqual({ points: 0, accepted: 0 });
    expect(tally(await readRepLog(store, GUILD), 0)).toEqual([]);
  });

  it.each([
    ["memory", async () => memory()],
    ["sqlite", sqlite],
  ])(
    "GIVEN many racing accepts on one question (%s) THEN exactly one answer is accepted and reputation is consistent",
    async (_n, open) => {
      const store = await open();
      const clock = new ManualClock(T0);
      await answered(store, clock);
      const ids = ["1-1", "1-2", "1-1", "1-2", "1-3", "1-2", "1-1", "1-2"];
      const results = await Promise.all(
        ids.map((answerId) =>
          acceptAnswer(store, clock, GUILD, { answerId, by: ASKER, canManageThreads: () => false }),
        ),
      );
      const question = await getQuestion(store, GUILD, 1);
      const last = results.filter((r) => r.changed).at(-1);
      expect(question?.accepted?.answer).toBe(last?.answer.number);
      const live = (await readRepLog(store, GUILD)).filter((e) => e.revokedAt === null);
      const creditedTo = question?.accepted?.creditedTo ?? null;
      expect(live.map((e) => e.userId)).toEqual(creditedTo ? [creditedTo] : []);
      const helper = await memberReputation(store, GUILD, HELPER);
      const other = await memberReputation(store, GUILD, OTHER);
      expect(helper.points + other.points).toBe(creditedTo ? 10 : 0);
      expect(creditedTo === HELPER ? helper.points : other.points).toBe(creditedTo ? 10 : 0);
    },
  );

  it("GIVEN two accepts racing on different answers THEN exactly one stays accepted with one credit", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await answered(store, clock);
    const [a, b] = await Promise.all([
      acceptAnswer(store, clock, GUILD, { answerId: "1-1", by: ASKER, canManageThreads: () => false }),
      acceptAnswer(store, clock, GUILD, { answerId: "1-2", by: MOD, canManageThreads: () => true }),
    ]);
    expect([a.changed, b.changed]).toEqual([true, true]);
    expect((await getQuestion(store, GUILD, 1))?.accepted?.answer).toBe(2);
    expect(await memberReputation(store, GUILD, HELPER)).toEqual({ points: 0, accepted: 0 });
    expect(await memberReputation(store, GUILD, OTHER)).toEqual({ points: 10, accepted: 1 });
  });
});

describe("posting state", () => {
  it("GIVEN the question is posted THEN its message, channel and thread are recorded in the record and index", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await ask(store, clock);
    await attachQuestionMessage(store, GUILD, 1, { channelId: "300", messageId: "400", threadId: "400" });
    expect(await getQuestion(store, GUILD, 1)).toMatchObject({
      channelId: "300",
      messageId: "400",
      threadId: "400",
    });
    expect((await readIndex(store, GUILD))[0]).toMatchObject({ channelId: "300", messageId: "400" });
  });
});

describe("the outbox", () => {
  const outbox = async (store: KeyvStore) =>
    (await store.get(keys.outbox(GUILD), OutboxSchema))?.answers.map((e) => `${e.q}-${e.a}`) ?? [];
  const outboxQuestions = async (store: KeyvStore) =>
    (await store.get(keys.outbox(GUILD), OutboxSchema))?.questions.map((e) => e.q) ?? [];
  const claimAnswers = async (store: KeyvStore, clock: ManualClock) =>
    (await claimAbandoned(store, clock, GUILD)).answers;
  const placed = { placement: "thread" as const, channelId: "300", messageId: "500" };

  it("GIVEN an answer stored THEN it is in the outbox in the same write; WHEN its placement is recorded THEN it leaves", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await ask(store, clock);
    await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: HELPER, text: "one" });
    await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: OTHER, text: "two" });
    expect(await outbox(store)).toEqual(["1-1", "1-2"]);
    await recordAnswerPlacement(store, GUILD, 1, 2, placed);
    expect(await outbox(store)).toEqual(["1-1"]);
    expect(await getAnswer(store, GUILD, 1, 2)).toMatchObject(placed);
    await recordAnswerPlacement(store, GUILD, 1, 1, {
      placement: "failed",
      channelId: null,
      messageId: null,
    });
    expect(await outbox(store)).toEqual([]);
  });

  it("GIVEN an answer Discord did not take WHEN it is handed back THEN the outbox claims it only after a doubling wait, and after the last try it is failed and leaves", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await ask(store, clock);
    await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: HELPER, text: "one" });
    for (let tries = 1; tries < RETRY_TRIES_MAX; tries++) {
      expect(await retryAnswerLater(store, clock, GUILD, 1, 1)).toBe(true);
      clock.advance(retryDelay(tries) - 1);
      expect(await claimAnswers(store, clock)).toEqual([]);
      clock.advance(1);
      expect(await claimAnswers(store, clock)).toMatchObject([{ q: 1, a: 1, tries }]);
    }
    expect(await retryAnswerLater(store, clock, GUILD, 1, 1)).toBe(false);
    expect(await outbox(store)).toEqual([]);
    expect((await getAnswer(store, GUILD, 1, 1))?.placement).toBe("failed");
  });

  it("GIVEN questions asked THEN each is in the outbox in the same write; WHEN posted or withdrawn THEN it leaves", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await askUnposted(store, clock);
    await askUnposted(store, clock, "Why is my Celery worker not running tasks?");
    expect(await outboxQuestions(store)).toEqual([1, 2]);
    await attachQuestionMessage(store, GUILD, 1, { channelId: "300", messageId: "400", threadId: "400" });
    expect(await outboxQuestions(store)).toEqual([2]);
    await markQuestionDeleted(store, GUILD, 2);
    expect(await outboxQuestions(store)).toEqual([]);
    clock.advance(SETTLE_QUESTION_AFTER_MS);
    expect(await claimAbandoned(store, clock, GUILD)).toEqual({ answers: [], questions: [] });
  });

  it("GIVEN a question never posted WHEN 15 minutes passed (its /ask is over) THEN it is claimed once, with a fresh claim time", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await askUnposted(store, clock);
    clock.advance(SETTLE_QUESTION_AFTER_MS - 1);
    expect((await claimAbandoned(store, clock, GUILD)).questions).toEqual([]);
    clock.advance(1);
    expect((await claimAbandoned(store, clock, GUILD)).questions).toEqual([{ q: 1, claimedAt: T0 }]);
    expect((await claimAbandoned(store, clock, GUILD)).questions).toEqual([]);
    expect((await store.get(keys.outbox(GUILD), OutboxSchema))?.questions).toEqual([
      { q: 1, claimedAt: T0 + SETTLE_QUESTION_AFTER_MS },
    ]);
  });

  it("GIVEN an answer whose posting started WHEN less than 2 minutes passed THEN it is not claimed; after that it is claimed by one pass only, and again once that claim is stale", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await ask(store, clock);
    await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: HELPER, text: "one" });
    clock.advance(REPOST_AFTER_MS - 1);
    expect(await claimAnswers(store, clock)).toEqual([]);
    clock.advance(1);
    const passes = await Promise.all([claimAnswers(store, clock), claimAnswers(store, clock)]);
    expect(passes.map((due) => due.map((e) => `${e.q}-${e.a}`)).sort()).toEqual([[], ["1-1"]]);
    expect(await outbox(store)).toEqual(["1-1"]);
    clock.advance(REPOST_AFTER_MS - 1);
    expect(await claimAnswers(store, clock)).toEqual([]);
    clock.advance(1);
    expect(await claimAnswers(store, clock)).toHaveLength(1);
  });

  it("GIVEN more abandoned answers than a pass takes THEN the oldest are claimed first and the rest by later passes", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await ask(store, clock);
    for (let i = 0; i < REPOSTS_PER_PASS + 5; i++) {
      await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: HELPER, text: `answer ${i}` });
    }
    clock.advance(REPOST_AFTER_MS);
    const first = await claimAnswers(store, clock);
    expect(first.map((e) => e.a)).toEqual(Array.from({ length: REPOSTS_PER_PASS }, (_, i) => i + 1));
    const second = await claimAnswers(store, clock);
    expect(second.map((e) => e.a)).toEqual([26, 27, 28, 29, 30]);
  });

  it("GIVEN the outbox fails its schema by one entry WHEN the next answer is stored THEN the pending posts it still held are kept and claimed, and the damaged copy is quarantined", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await ask(store, clock);
    await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: HELPER, text: "one" });
    await askUnposted(store, clock, "Why is my Celery worker not running tasks?");
    const stored = await store.get(keys.outbox(GUILD), OutboxSchema);
    await store.keyv.set(keys.outbox(GUILD), {
      answers: [...(stored?.answers ?? []), { q: "one", a: 2 }],
      questions: stored?.questions,
    });
    await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: OTHER, text: "two" });
    expect(await outbox(store)).toEqual(["1-1", "1-2"]);
    expect(await outboxQuestions(store)).toEqual([2]);
    const aside = [...(store.keyv.store as Map<string, unknown>).keys()].filter((key) =>
      key.startsWith(`nexus:quarantine:${keys.outbox(GUILD)}:`),
    );
    expect(aside).toHaveLength(1);
    clock.advance(SETTLE_QUESTION_AFTER_MS);
    const due = await claimAbandoned(store, clock, GUILD);
    expect(due.answers.map((e) => `${e.q}-${e.a}`)).toEqual(["1-1", "1-2"]);
    expect(due.questions.map((e) => e.q)).toEqual([2]);
  });

  it("GIVEN the outbox damaged beyond reading WHEN it is next changed THEN the damaged copy is quarantined before it is overwritten", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await ask(store, clock);
    await store.keyv.set(keys.outbox(GUILD), "\u0000 corrupted: not what this record should be");
    await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: HELPER, text: "one" });
    expect(await outbox(store)).toEqual(["1-1"]);
    const aside = [...(store.keyv.store as Map<string, unknown>).entries()].filter(([key]) =>
      key.startsWith(`nexus:quarantine:${keys.outbox(GUILD)}:`),
    );
    expect(aside).toHaveLength(1);
  });

  it("GIVEN the outbox's stored text is not even JSON (a torn write) WHEN it is next changed THEN that text is quarantined before it is overwritten", async () => {
    const store = memory();
    const clock = new ManualClock(T0);
    await ask(store, clock);
    const torn = '{"value": {"answers": [{"q": 1, "a": 1, "claimedAt"';
    (store.keyv.store as Map<string, unknown>).set(`${store.keyv.namespace}:${keys.outbox(GUILD)}`, torn);
    await addAnswer(store, clock, GUILD, { questionNumber: 1, authorId: HELPER, text: "one" });
    expect(await outbox(store)).toEqual(["1-1"]);
    const aside = [...(store.keyv.store as Map<string, unknown>).entries()].filter(([key]) =>
      key.startsWith(`nexus:quarantine:${keys.outbox(GUILD)}:`),
    );
    expect(aside).toHaveLength(1);
    expect(JSON.stringify(aside[0]?.[1])).toContain("claimedAt");
  });

  it("GIVEN 60 concurrent answers on SQLite, each recorded as soon as it is stored THEN every answer is placed and the outbox ends empty", async () => {
    const store = await sqlite();
    const clock = new ManualClock(T0);
    await ask(store, clock);
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const { answer } = await addAnswer(store, clock, GUILD, {
          questionNumber: 1,
          authorId: HELPER,
          text: `answer ${i}`,
        });
        await recordAnswerPlacement(store, GUILD, 1, answer.number, {
          ...placed,
          messageId: String(600 + i),
        });
      }),
    );
    expect(await outbox(store)).toEqual([]);
    const question = await getQuestion(store, GUILD, 1);
    const answers = await answersOf(store, GUILD, question ?? expect.fail("no Q1"));
    expect(answers).toHaveLength(60);
    expect(answers.every((answer) => answer.placement === "thread")).toBe(true);
  });
});
