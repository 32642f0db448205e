import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { silentLogger } from "../../src/log.js";
import {
  keywordsOf,
  listQuestions,
  PAGE_SIZE,
  pageOf,
  rankOpenQuestions,
  readIndex,
  selectQuestions,
} from "../../src/questions/catalog.js";
import { answerChoices, openQuestionChoices } from "../../src/questions/choices.js";
import { listEmbed } from "../../src/questions/embeds.js";
import { acceptAnswer, addAnswer, askQuestion, markQuestionDeleted } from "../../src/questions/questions.js";
import {
  CHUNK_SIZE,
  IndexChunkSchema,
  type IndexEntry,
  keys,
  MetaSchema,
} from "../../src/questions/schema.js";
import { memoryStore, openStore } from "../../src/store/open.js";
import { KeyvStore } from "../../src/store/store.js";
import { askPosted } from "../support/qa-fixtures.js";

const GUILD = "100";
const ASKER = "201";
const HELPER = "202";
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const HOUR = 3_600_000;

function entry(n: number, extra: Partial<IndexEntry> = {}): IndexEntry {
  return {
    n,
    author: ASKER,
    title: `Question number ${n} about something`,
    topic: null,
    status: "open",
    answers: 0,
    createdAt: T0 + n * HOUR,
    nudged: false,
    channelId: null,
    messageId: null,
    kw: "",
    ...extra,
  };
}

async function seeded(): Promise<{ store: KeyvStore; clock: ManualClock }> {
  const store = memoryStore(silentLogger());
  const clock = new ManualClock(T0);
  const questions: Array<[string, string | null, string]> = [
    ["How do I run Django migrations in Docker?", "Docker", ASKER],
    ["Celery worker does not pick up my tasks", "Celery and RabbitMQ", HELPER],
    ["Redis cache invalidation for Django views", "Caching and Redis", ASKER],
    ["JWT refresh tokens with Django REST Framework", "Authentication and JWT/OAuth2", HELPER],
  ];
  for (const [title, topic, authorId] of questions) {
    await askPosted(store, clock, GUILD, {
      authorId,
      title,
      topic,
      details: "It fails with a timeout in compose",
    });
    clock.advance(HOUR);
  }
  return { store, clock };
}

describe("question index", () => {
  it("GIVEN questions across chunks THEN each lands in its chunk key and the index reads them all in order", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    for (let i = 0; i < CHUNK_SIZE + 5; i++) {
      await askPosted(store, clock, GUILD, { authorId: ASKER, title: `Question ${i} about Django views` });
    }
    expect(keys.index(GUILD, 1)).toBe("guild:100:questions:index:1");
    const all = await readIndex(store, GUILD);
    expect(all.map((e) => e.n)).toEqual(Array.from({ length: CHUNK_SIZE + 5 }, (_, i) => i + 1));
  });

  it("GIVEN a cached index WHEN another process (a second store on the file) asks THEN the next read sees it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nexus-questions-"));
    const file = join(dir, "db.sqlite");
    const a = await openStore(`sqlite://${file}`, silentLogger());
    const b = await openStore(`sqlite://${file}`, silentLogger());
    try {
      const clock = new ManualClock(T0);
      await askQuestion(a, clock, GUILD, { authorId: ASKER, title: "First question about Django views" });
      expect((await readIndex(a, GUILD)).map((e) => e.n)).toEqual([1]);
      await askQuestion(b, clock, GUILD, { authorId: HELPER, title: "Second question about Docker volumes" });
      await addAnswer(b, clock, GUILD, {
        questionNumber: 1,
        authorId: HELPER,
        text: "Use class-based views",
      });
      const seen = await readIndex(a, GUILD);
      expect(seen.map((e) => [e.n, e.answers])).toEqual([
        [1, 1],
        [2, 0],
      ]);
      // a change in this process patches the cached snapshot
      await addAnswer(a, clock, GUILD, { questionNumber: 2, authorId: ASKER, text: "Named volumes" });
      expect((await readIndex(a, GUILD)).map((e) => e.answers)).toEqual([1, 1]);
    } finally {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("GIVEN long details THEN the index keeps only their distinct words within 300 characters", () => {
    const kw = keywordsOf(
      `Docker docker COMPOSE ${"word".repeat(10)} ${Array.from({ length: 200 }, (_, i) => `w${i}`).join(" ")}`,
    );
    expect(kw.startsWith("docker compose ")).toBe(true);
    expect(kw.length).toBeLessThanOrEqual(300);
    expect(keywordsOf(null)).toBe("");
  });

  it("GIVEN details with a word that does not fit WHEN indexed THEN it is skipped and the words after it are kept", () => {
    const words = Array.from({ length: 57 }, (_, i) => `w${String(i).padStart(3, "0")}`).join(" "); // 284 characters
    expect(keywordsOf(`${words} ${"x".repeat(20)} celery`)).toBe(`${words} celery`);
    // A word longer than any search term (a pasted token) is left out even when there is room.
    expect(keywordsOf(`${"a1B2".repeat(13)} simplejwt`)).toBe("simplejwt");
  });

  it("GIVEN question details that start with a long token WHEN searching for a later word of them THEN the question is found", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    const token = `eyJ${"a1B2c3D4".repeat(40)}`; // a pasted JWT: one 323-character word
    await askQuestion(store, clock, GUILD, {
      authorId: ASKER,
      title: "My token is rejected by the API after login",
      details: `${token} is what I send; simplejwt answers 401 with token_not_valid.`,
    });
    const found = await listQuestions(store, GUILD, { kind: "search", query: "simplejwt" });
    expect(found.total).toBe(1);
  });
});

describe("/questions lists", () => {
  it("GIVEN open, solved and deleted questions THEN `open` lists only open ones, newest first, and filters by topic", async () => {
    const { store, clock } = await seeded();
    await addAnswer(store, clock, GUILD, {
      questionNumber: 2,
      authorId: ASKER,
      text: "Check the queue name",
    });
    await acceptAnswer(store, clock, GUILD, { answerId: "2-1", by: HELPER, canManageThreads: () => false });
    await markQuestionDeleted(store, GUILD, 4);
    const open = await listQuestions(store, GUILD, { kind: "open" });
    expect(open.entries.map((e) => e.n)).toEqual([3, 1]);
    const docker = await listQuestions(store, GUILD, { kind: "open", topic: "Docker" });
    expect(docker.entries.map((e) => e.n)).toEqual([1]);
  });

  it("GIVEN the open list was shown WHEN an answer, an accept and a new question land THEN the next list shows each", async () => {
    const { store, clock } = await seeded();
    const shown = async (topic: string | null = null) => {
      const page = await listQuestions(store, GUILD, { kind: "open", topic });
      return { ns: page.entries.map((e) => e.n), text: listEmbed(GUILD, "Open", page, "none").toJSON() };
    };
    expect((await shown()).ns).toEqual([4, 3, 2, 1]);
    expect((await shown()).text.description).not.toContain("1 answer");
    await addAnswer(store, clock, GUILD, { questionNumber: 3, authorId: HELPER, text: "Version the keys" });
    const answered = await shown();
    expect(answered.ns).toEqual([4, 3, 2, 1]);
    expect(answered.text.description).toMatch(/\*\*Q3\*\* .*\nopen · 1 answer · /);
    await acceptAnswer(store, clock, GUILD, { answerId: "3-1", by: ASKER, canManageThreads: () => false });
    expect((await shown()).ns).toEqual([4, 2, 1]);
    expect((await shown("Docker")).ns).toEqual([1]);
    await askPosted(store, clock, GUILD, {
      authorId: HELPER,
      title: "Docker volumes lose my data",
      topic: "Docker",
    });
    expect((await shown()).ns).toEqual([5, 4, 2, 1]);
    expect((await shown("Docker")).ns).toEqual([5, 1]);
  });

  it("GIVEN a search THEN matches come best first (title, topic and details words) and `Q3` finds question 3 first", async () => {
    const { store } = await seeded();
    const page = await listQuestions(store, GUILD, { kind: "search", query: "django redis cache" });
    expect(page.entries[0]?.n).toBe(3);
    expect(page.entries.map((e) => e.n)).not.toContain(2);
    const details = await listQuestions(store, GUILD, { kind: "search", query: "timeout compose" });
    expect(details.total).toBe(4);
    const byNumber = await listQuestions(store, GUILD, { kind: "search", query: "Q3" });
    expect(byNumber.entries[0]?.n).toBe(3);
  });

  it("GIVEN a search with no meaningful word THEN it is refused naming the rule", async () => {
    const { store } = await seeded();
    await expect(listQuestions(store, GUILD, { kind: "search", query: "the of and" })).rejects.toThrow(
      /at least one meaningful word/,
    );
  });

  it("GIVEN `mine` THEN only the caller's questions are listed", async () => {
    const { store } = await seeded();
    const mine = await listQuestions(store, GUILD, { kind: "mine", userId: HELPER });
    expect(mine.entries.map((e) => e.n)).toEqual([4, 2]);
  });

  it("GIVEN 25 questions THEN pages hold 10, a page past the end shows the last, and page 0 is refused", () => {
    const all = Array.from({ length: 25 }, (_, i) => entry(i + 1));
    const selected = selectQuestions(all, { kind: "open" });
    expect(pageOf(selected, 1)).toMatchObject({ page: 1, pages: 3, total: 25 });
    expect(pageOf(selected, 1).entries.map((e) => e.n)).toEqual([25, 24, 23, 22, 21, 20, 19, 18, 17, 16]);
    expect(pageOf(selected, 3).entries).toHaveLength(25 - 2 * PAGE_SIZE);
    expect(pageOf(selected, 9).page).toBe(3);
    expect(() => pageOf(selected, 0)).toThrow(/whole number from 1/);
    expect(pageOf([], 1)).toMatchObject({ page: 1, pages: 1, total: 0, entries: [] });
  });
});

describe("autocomplete", () => {
  it("GIVEN typed words THEN open questions come best match first, solved ones never", async () => {
    const { store, clock } = await seeded();
    await addAnswer(store, clock, GUILD, {
      questionNumber: 3,
      authorId: HELPER,
      text: "Use cache versioning",
    });
    await acceptAnswer(store, clock, GUILD, { answerId: "3-1", by: ASKER, canManageThreads: () => false });
    const choices = await openQuestionChoices(store, GUILD, "django");
    expect(choices.map((c) => c.value)).toEqual([1, 4]);
    expect(choices[0]?.label).toBe("Q1 · How do I run Django migrations in Docker? (0 answers)");
  });

  it("GIVEN a typed number THEN that question comes first, then numbers starting with it; nothing typed → newest", () => {
    const all = Array.from({ length: 30 }, (_, i) => entry(i + 1));
    expect(
      rankOpenQuestions(all, "2")
        .map((e) => e.n)
        .slice(0, 4),
    ).toEqual([2, 20, 21, 22]);
    expect(rankOpenQuestions(all, "Q12").map((e) => e.n)[0]).toBe(12);
    expect(
      rankOpenQuestions(all, "")
        .map((e) => e.n)
        .slice(0, 2),
    ).toEqual([30, 29]);
    expect(rankOpenQuestions(all, "")).toHaveLength(25);
  });

  it("GIVEN long titles THEN every choice label fits 100 characters", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    await askPosted(store, clock, GUILD, { authorId: ASKER, title: `Django ${"x".repeat(190)}` });
    const [choice] = await openQuestionChoices(store, GUILD, "django");
    expect(choice?.label.length).toBe(100);
  });

  it("GIVEN the asker types nothing THEN /accept offers the answers to their own questions, open first, with ids", async () => {
    const { store, clock } = await seeded();
    await addAnswer(store, clock, GUILD, {
      questionNumber: 1,
      authorId: HELPER,
      text: "Run migrate in the entrypoint",
    });
    await addAnswer(store, clock, GUILD, { questionNumber: 2, authorId: ASKER, text: "Not mine to accept" });
    await addAnswer(store, clock, GUILD, {
      questionNumber: 3,
      authorId: HELPER,
      text: "Version your cache keys",
    });
    await acceptAnswer(store, clock, GUILD, { answerId: "3-1", by: ASKER, canManageThreads: () => false });
    const choices = await answerChoices(store, GUILD, ASKER, "");
    expect(choices.map((c) => c.value)).toEqual(["1-1", "3-1"]);
    expect(choices[1]?.label).toBe("✅ 3-1 · Version your cache keys");
    expect((await answerChoices(store, GUILD, ASKER, "entrypoint")).map((c) => c.value)).toEqual(["1-1"]);
    // typing a question number reaches that question's answers (for members with Manage Threads)
    expect((await answerChoices(store, GUILD, ASKER, "2-")).map((c) => c.value)).toEqual(["2-1"]);
    expect((await answerChoices(store, GUILD, HELPER, "")).map((c) => c.value)).toEqual(["2-1"]);
  });
});

describe("damaged summaries (the question records are the truth)", () => {
  const DAMAGED = "\u0000 corrupted: not what this record should be";

  /** `count` questions, numbered 1..count, each with the word `numberN` in its title. */
  async function asked(count: number): Promise<{ store: KeyvStore; clock: ManualClock }> {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(T0);
    for (let i = 1; i <= count; i++) {
      await askPosted(store, clock, GUILD, { authorId: ASKER, title: `Question number${i} about Django` });
      clock.advance(HOUR);
    }
    return { store, clock };
  }

  it("GIVEN the counter fails its schema WHEN the questions are listed or searched THEN every question is still there", async () => {
    const { store } = await asked(CHUNK_SIZE + 3);
    await store.keyv.set(keys.meta(GUILD), DAMAGED);
    expect((await readIndex(store, GUILD)).map((e) => e.n)).toEqual(
      Array.from({ length: CHUNK_SIZE + 3 }, (_, i) => i + 1),
    );
    const search = await listQuestions(store, GUILD, { kind: "search", query: "number7" });
    expect(search.entries.map((e) => e.n)).toEqual([7]);
  });

  it("GIVEN an index chunk fails its schema WHEN the questions are read THEN that chunk is rebuilt from the question records", async () => {
    const { store } = await asked(CHUNK_SIZE + 3);
    await store.keyv.set(keys.index(GUILD, 0), DAMAGED);
    const fresh = new KeyvStore(store.keyv, silentLogger()); // a process with no snapshot yet
    const all = await readIndex(fresh, GUILD);
    expect(all.map((e) => e.n)).toEqual(Array.from({ length: CHUNK_SIZE + 3 }, (_, i) => i + 1));
    expect(all[0]).toMatchObject({
      n: 1,
      title: "Question number1 about Django",
      author: ASKER,
      status: "open",
    });
  });

  it("GIVEN an index chunk fails its schema WHEN a question in it changes THEN the chunk is rewritten whole, its damaged copy quarantined", async () => {
    const { store, clock } = await asked(5);
    await store.keyv.set(keys.index(GUILD, 0), DAMAGED);
    await addAnswer(store, clock, GUILD, {
      questionNumber: 3,
      authorId: HELPER,
      text: "Use a volume for the database",
    });
    const chunk = await store.get(keys.index(GUILD, 0), IndexChunkSchema);
    expect(chunk?.entries.map((e) => [e.n, e.answers])).toEqual([
      [1, 0],
      [2, 0],
      [3, 1],
      [4, 0],
      [5, 0],
    ]);
    const stored = [...(store.keyv.store as Map<string, unknown>).keys()];
    expect(stored.some((key) => key.startsWith(`nexus:quarantine:${keys.index(GUILD, 0)}:`))).toBe(true);
  });

  it("GIVEN the counter is damaged WHEN the next question changes THEN the counter is rebuilt with a fresh version and reads are cached again", async () => {
    const { store, clock } = await asked(4);
    await store.keyv.set(keys.meta(GUILD), DAMAGED);
    await askPosted(store, clock, GUILD, { authorId: HELPER, title: "A fifth question about Docker" });
    const meta = await store.get(keys.meta(GUILD), MetaSchema);
    expect(meta?.lastNumber).toBe(5);
    expect(meta?.version).toBeGreaterThan(1_000_000);
    expect((await readIndex(store, GUILD)).map((e) => e.n)).toEqual([1, 2, 3, 4, 5]);
    const getMany = vi.spyOn(store, "getMany");
    await readIndex(store, GUILD);
    expect(getMany).not.toHaveBeenCalled();
  });

  it("GIVEN a guild without questions WHEN the index is read THEN it is empty after one probe and nothing is written", async () => {
    const store = memoryStore(silentLogger());
    const getMany = vi.spyOn(store, "getMany");
    const set = vi.spyOn(store, "set");
    expect(await readIndex(store, GUILD)).toEqual([]);
    expect(getMany).toHaveBeenCalledTimes(1);
    expect(set).not.toHaveBeenCalled();
  });
});
