import { describe, expect, it } from "vitest";
import {
  BANK,
  CHALLENGE_LIMITS,
  type Challenge,
  ChallengeSchema,
  parseBank,
  parseCustomChallenge,
} from "../../src/challenge/bank.js";
import { DaySchema } from "../../src/challenge/records.js";
import {
  challengeNonce,
  embedProblems,
  hintPayload,
  memberViewEmbed,
  postPayload,
  revealPayload,
  threadName,
} from "../../src/challenge/render.js";
import { embedLength } from "../../src/discord/embed.js";
import { UserError } from "../../src/discord/errors.js";
import { LIMITS } from "../../src/discord/text.js";
import { TOPICS } from "../../src/topics.js";

function renderAll(challenge: Challenge, version = 0) {
  const day = { date: "2026-06-01", version, challenge };
  return [
    ...postPayload(day).embeds,
    ...hintPayload(day).embeds,
    ...revealPayload(day, 123_456).embeds,
    memberViewEmbed({
      day,
      hints: challenge.hints,
      submitted: true,
      points: 30,
      threadUrl: "<#123456789012345678>",
      hintsLeft: 0,
    }),
    memberViewEmbed({ day, hints: [], submitted: false, points: 10, threadUrl: null, hintsLeft: 3 }),
  ];
}

const text = (c: Challenge) => `${c.title} ${c.prompt} ${c.hints.join(" ")} ${c.answer}`.toLowerCase();

describe("challenge bank (data/challenges.json)", () => {
  it("GIVEN the bank THEN it holds at least 60 valid challenges with unique ids and curated topics", () => {
    expect(BANK.length).toBeGreaterThanOrEqual(60);
    expect(new Set(BANK.map((c) => c.id)).size).toBe(BANK.length);
    for (const challenge of BANK) {
      expect(ChallengeSchema.safeParse(challenge).success).toBe(true);
      expect(TOPICS).toContain(challenge.topic);
      expect(challenge.hints.length).toBeGreaterThanOrEqual(1);
      expect(challenge.hints.length).toBeLessThanOrEqual(3);
    }
  });

  it("GIVEN the bank THEN it covers every part of the curriculum, with frontend and pair challenges", () => {
    const areas: Record<string, (c: Challenge) => boolean> = {
      "N+1 queries": (c) => text(c).includes("n+1"),
      indexing: (c) => c.id.startsWith("idx-"),
      migrations: (c) => c.topic === "Migrations and schema changes",
      caching: (c) => c.topic === "Caching and Redis",
      celery: (c) => c.topic === "Celery and RabbitMQ",
      jwt: (c) => text(c).includes("jwt"),
      permissions: (c) => text(c).includes("permission"),
      "rate limiting": (c) => c.topic === "API security and rate limiting",
      "race conditions": (c) => c.id.startsWith("race-"),
      graphql: (c) => c.topic === "GraphQL",
      "docker networking": (c) => c.topic === "Docker" && text(c).includes("network"),
      "ci/cd": (c) => c.topic === "CI/CD",
      "api versioning": (c) => text(c).includes("versioning"),
      "api docs": (c) => c.topic === "Swagger/OpenAPI",
      "frontend integration for pairs": (c) => c.topic === "Frontend integration" && c.track === "pair",
    };
    for (const [area, matches] of Object.entries(areas)) {
      expect(BANK.filter(matches).length, area).toBeGreaterThanOrEqual(2);
    }
    expect(BANK.filter((c) => c.track === "frontend").length).toBeGreaterThanOrEqual(3);
    expect(BANK.filter((c) => c.track === "pair").length).toBeGreaterThanOrEqual(5);
    for (const difficulty of ["easy", "medium", "hard"]) {
      expect(BANK.some((c) => c.difficulty === difficulty)).toBe(true);
    }
  });

  it("GIVEN every challenge in the bank THEN its post, hint, reveal and member embeds fit Discord's limits", () => {
    for (const challenge of BANK) {
      for (const embed of renderAll(challenge)) {
        expect(embedProblems(embed), challenge.id).toEqual([]);
        expect(embedLength(embed)).toBeLessThanOrEqual(LIMITS.embedTotal);
      }
      expect(threadName("2026-06-01", challenge).length).toBeLessThanOrEqual(LIMITS.threadName);
    }
  });

  it("GIVEN a worst-case challenge (every field at its limit, full of mentions) THEN every embed still fits", () => {
    const noisy = (n: number) => "@everyone <@123456789012345678> ".repeat(Math.ceil(n / 34)).slice(0, n);
    const worst = ChallengeSchema.parse({
      id: "worst-case",
      title: noisy(CHALLENGE_LIMITS.title),
      topic: TOPICS[0],
      difficulty: "hard",
      track: "pair",
      prompt: noisy(CHALLENGE_LIMITS.prompt),
      hints: [noisy(CHALLENGE_LIMITS.hint), noisy(CHALLENGE_LIMITS.hint), noisy(CHALLENGE_LIMITS.hint)],
      answer: noisy(CHALLENGE_LIMITS.answer),
    });
    for (const embed of renderAll(worst, 12)) {
      expect(embedProblems(embed)).toEqual([]);
      expect(JSON.stringify(embed)).not.toContain("<@1");
      expect(JSON.stringify(embed)).not.toMatch(/@everyone/);
    }
  });

  it("GIVEN a bank with a duplicate id and an unknown topic THEN parsing names both problems", () => {
    const [first] = BANK;
    const bad = [first, first, { ...first, id: "other", topic: "Cooking" }];
    expect(() => parseBank(bad, "test")).toThrow(/duplicate id/);
    expect(() => parseBank(bad, "test")).toThrow(/test\[2\] \(other\) topic/);
  });

  it("GIVEN the same (guild, date, what) THEN the nonce is the same, at most 25 characters, and differs otherwise", () => {
    const nonce = challengeNonce("123456789012345678", "2026-06-01", "post.0");
    expect(nonce).toBe(challengeNonce("123456789012345678", "2026-06-01", "post.0"));
    expect(nonce.length).toBeLessThanOrEqual(25);
    expect(nonce).not.toBe(challengeNonce("123456789012345678", "2026-06-02", "post.0"));
    expect(nonce).not.toBe(challengeNonce("123456789012345678", "2026-06-01", "post.1"));
  });

  it("GIVEN a stored day THEN it round-trips through its schema", () => {
    const [challenge] = BANK;
    const day = DaySchema.parse({
      date: "2026-06-01",
      version: 0,
      challenge,
      source: "bank",
      cycle: 0,
      post: {
        state: "claimed",
        nonce: "abc",
        marker: "m",
        channelId: "1",
        claimedAt: 1,
        owner: "r",
        attemptAt: 1,
        tries: 0,
        messageId: null,
        threadId: null,
        postedAt: null,
      },
      hintReleasedAt: null,
    });
    expect(DaySchema.parse(JSON.parse(JSON.stringify(day)))).toEqual(day);
  });
});

describe("custom challenges use the bank's schema", () => {
  const valid = {
    title: "Our own challenge",
    topic: "docker",
    difficulty: "medium",
    track: "backend",
    prompt: "Explain how containers on one compose network find each other.",
    hints: ["Think about DNS", null, null],
    answer: "Compose registers service names in an embedded DNS server.",
  };

  it("GIVEN valid fields THEN the topic is canonicalised and empty hints are dropped", () => {
    expect(parseCustomChallenge(valid)).toMatchObject({ topic: "Docker", hints: ["Think about DNS"] });
  });

  it("GIVEN fields at their limits in characters as Discord counts them, emoji included THEN they are accepted", () => {
    const fields = {
      ...valid,
      title: "🐳".repeat(CHALLENGE_LIMITS.title),
      prompt: "🐳".repeat(CHALLENGE_LIMITS.prompt),
      hints: ["🐳".repeat(CHALLENGE_LIMITS.hint), null, null],
      answer: "🐳".repeat(CHALLENGE_LIMITS.answer),
    };
    expect(parseCustomChallenge(fields)).toMatchObject({ title: fields.title, answer: fields.answer });
  });

  it.each([
    [{ prompt: "x".repeat(CHALLENGE_LIMITS.prompt + 1) }, "`prompt` must be at most 2,000 characters"],
    [{ prompt: "too short" }, "`prompt` must be at least 20 characters"],
    [{ topic: "Cooking" }, "`topic` must be one of the program's topics"],
    [{ difficulty: "impossible" }, "`difficulty` must be easy, medium or hard"],
    [{ title: "  " }, "`title` must be at least 3 characters"],
    [{ answer: "x".repeat(CHALLENGE_LIMITS.answer + 1) }, "`answer` must be at most 2,500 characters"],
    [{ answer: "🐳".repeat(CHALLENGE_LIMITS.answer + 1) }, "`answer` must be at most 2,500 characters"],
    [{ hints: ["Think about DNS", null, "x"] }, "`hint3` must be at least 3 characters"],
  ])("GIVEN a bad field %j THEN the UserError names it", (override, message) => {
    const attempt = () => parseCustomChallenge({ ...valid, ...override });
    expect(attempt).toThrow(UserError);
    expect(attempt).toThrow(message);
  });
});
