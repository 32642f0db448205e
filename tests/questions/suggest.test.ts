import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { logEntry } from "../../src/journal/entries.js";
import { silentLogger } from "../../src/log.js";
import { readIndex } from "../../src/questions/catalog.js";
import {
  acceptAnswer,
  addAnswer,
  askQuestion,
  attachQuestionMessage,
  recordAnswerPlacement,
} from "../../src/questions/questions.js";
import { rankSimilar, suggestionsFor } from "../../src/questions/suggest.js";
import { memoryStore } from "../../src/store/open.js";

const GUILD = "100";
const ASKER = "201";
const HELPER = "202";
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

async function community() {
  const store = memoryStore(silentLogger());
  const clock = new ManualClock(T0);
  const titles = [
    "Django migrations fail inside Docker compose", // 1: open, very similar
    "How to run Django migrations in a Docker container", // 2: solved, similar
    "Celery worker not consuming tasks from RabbitMQ", // 3: unrelated
    "Django migrations are slow in my Docker build", // 4: solved, similar
    "Django migrations conflict after git merge", // 5: open, similar
  ];
  for (const title of titles) {
    const q = await askQuestion(store, clock, GUILD, { authorId: ASKER, title });
    await attachQuestionMessage(store, GUILD, q.number, {
      channelId: "300",
      messageId: String(1000 + q.number),
      threadId: String(1000 + q.number),
    });
    clock.advance(60_000);
  }
  for (const n of [2, 4]) {
    await addAnswer(store, clock, GUILD, { questionNumber: n, authorId: HELPER, text: "Here is how" });
    await recordAnswerPlacement(store, GUILD, n, 1, {
      placement: "thread",
      channelId: String(1000 + n),
      messageId: String(2000 + n),
    });
    await acceptAnswer(store, clock, GUILD, { answerId: `${n}-1`, by: ASKER, canManageThreads: () => false });
  }
  return { store, clock };
}

describe("similar questions", () => {
  it("GIVEN earlier questions THEN up to three similar ones are suggested, solved ones first, never itself or unrelated", async () => {
    const { store, clock } = await community();
    const question = await askQuestion(store, clock, GUILD, {
      authorId: "203",
      title: "Django migrations do not run in Docker",
    });
    const similar = rankSimilar(await readIndex(store, GUILD), question);
    expect(similar).toHaveLength(3);
    expect(similar.slice(0, 2).map((e) => e.status)).toEqual(["solved", "solved"]);
    expect(
      similar
        .slice(0, 2)
        .map((e) => e.n)
        .sort(),
    ).toEqual([2, 4]);
    expect([1, 5]).toContain(similar[2]?.n);
    expect(similar.map((e) => e.n)).not.toContain(3);
  });

  it("GIVEN nothing related THEN no question is suggested", async () => {
    const { store, clock } = await community();
    const question = await askQuestion(store, clock, GUILD, {
      authorId: "203",
      title: "Kubernetes ingress with TLS certificates",
    });
    expect(rankSimilar(await readIndex(store, GUILD), question)).toEqual([]);
  });

  it("GIVEN solved similar questions and journal entries THEN suggestions link the accepted answers and public entries only", async () => {
    const { store, clock } = await community();
    await logEntry(store, clock, GUILD, {
      authorId: HELPER,
      topic: "Docker",
      text: "Learned to run Django migrations from the Docker entrypoint script",
      link: "https://example.com/notes",
    });
    await logEntry(store, clock, GUILD, {
      authorId: HELPER,
      topic: "Docker",
      text: "Private note about Django migrations in Docker",
      private: true,
    });
    const question = await askQuestion(store, clock, GUILD, {
      authorId: "203",
      title: "Django migrations do not run in Docker",
      topic: "Docker",
    });
    const suggestions = await suggestionsFor(store, GUILD, question);
    const solved = suggestions.questions.filter((s) => s.entry.status === "solved");
    expect(solved.map((s) => s.accepted)).toEqual([
      { id: "2-1", link: `https://discord.com/channels/${GUILD}/1002/2002` },
      { id: "4-1", link: `https://discord.com/channels/${GUILD}/1004/2004` },
    ]);
    expect(suggestions.questions[0]?.link).toBe(`https://discord.com/channels/${GUILD}/300/1002`);
    expect(suggestions.journal.map((j) => j.text)).toEqual([
      "Learned to run Django migrations from the Docker entrypoint script",
    ]);
  });
});
