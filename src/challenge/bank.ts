import { readFileSync } from "node:fs";
import { z } from "zod";
import { UserError } from "../discord/errors.js";
import { DATA_DIR } from "../paths.js";
import { TOPICS } from "../topics.js";

export const DIFFICULTIES = ["easy", "medium", "hard"] as const;
export const TRACKS = ["backend", "frontend", "pair"] as const;

/** Field limits, chosen so every post, hint and reveal embed fits Discord's limits whatever the text. */
export const CHALLENGE_LIMITS = {
  title: 100,
  prompt: 2000,
  hint: 500,
  hints: 3,
  answer: 2500,
} as const;

/**
 * Shortest fields (after trimming). `/challenge add` gives them to Discord too, which then refuses a short
 * field before the form is sent, rather than the bot after it, when a long prompt would be lost.
 */
export const CHALLENGE_MIN_LENGTHS = { title: 3, prompt: 20, hint: 3, answer: 10 } as const;

const topicByLower = new Map(TOPICS.map((topic) => [topic.toLowerCase(), topic]));

const text = (label: string, min: number, max: number) =>
  z
    .string({ error: `${label} is required` })
    .trim()
    .min(min, `must be at least ${min} characters`)
    .max(max, `must be at most ${max.toLocaleString("en-US")} characters`);

/**
 * The one schema for a challenge's content, shared by the bank (data/challenges.json) and `/challenge add`.
 * The topic is one of the curated topics (data/topics.json), case-insensitively, stored canonically.
 */
export const ChallengeFieldsSchema = z.object({
  title: text("title", CHALLENGE_MIN_LENGTHS.title, CHALLENGE_LIMITS.title),
  topic: z
    .string()
    .transform((topic) => topicByLower.get(topic.trim().toLowerCase()) ?? topic)
    .refine((topic) => TOPICS.includes(topic), "must be one of the program's topics (data/topics.json)"),
  difficulty: z.enum(DIFFICULTIES, { error: "must be easy, medium or hard" }),
  track: z.enum(TRACKS, { error: "must be backend, frontend or pair" }),
  prompt: text("prompt", CHALLENGE_MIN_LENGTHS.prompt, CHALLENGE_LIMITS.prompt),
  hints: z
    .array(text("hint", CHALLENGE_MIN_LENGTHS.hint, CHALLENGE_LIMITS.hint))
    .min(1, "needs at least one hint")
    .max(CHALLENGE_LIMITS.hints, "has at most three hints"),
  answer: text("answer", CHALLENGE_MIN_LENGTHS.answer, CHALLENGE_LIMITS.answer),
});

export const ChallengeSchema = ChallengeFieldsSchema.extend({
  id: z.string().regex(/^[a-z0-9-]{1,40}$/, "must be 1–40 lowercase letters, digits or -"),
});
export type Challenge = z.output<typeof ChallengeSchema>;
export type ChallengeInput = z.input<typeof ChallengeFieldsSchema>;
export type Difficulty = (typeof DIFFICULTIES)[number];
export type Track = (typeof TRACKS)[number];

const BankSchema = z
  .array(ChallengeSchema)
  .min(1)
  .superRefine((bank, ctx) => {
    const seen = new Set<string>();
    for (const [i, challenge] of bank.entries()) {
      if (challenge.id.startsWith("custom-")) {
        ctx.addIssue({
          code: "custom",
          path: [i, "id"],
          message: "custom- ids are reserved for /challenge add",
        });
      }
      if (seen.has(challenge.id)) {
        ctx.addIssue({ code: "custom", path: [i, "id"], message: `duplicate id ${challenge.id}` });
      }
      seen.add(challenge.id);
    }
  });

/** Parses a bank; throws an Error naming every bad field (by index and id) so start-up says what to fix. */
export function parseBank(raw: unknown, source = "challenges"): Challenge[] {
  const result = BankSchema.safeParse(raw);
  if (result.success) return result.data;
  const items = Array.isArray(raw) ? raw : [];
  const problems = result.error.issues.map((issue) => {
    const [index, ...rest] = issue.path;
    const item: unknown = typeof index === "number" ? items[index] : undefined;
    const id = typeof item === "object" && item !== null && "id" in item ? ` (${String(item.id)})` : "";
    return `${source}[${String(index ?? "")}]${id} ${rest.join(".")}: ${issue.message}`;
  });
  throw new Error(`invalid challenge bank:\n${problems.join("\n")}`);
}

/** The curated bank (data/challenges.json), validated at load. */
export const BANK: readonly Challenge[] = parseBank(
  JSON.parse(readFileSync(`${DATA_DIR}challenges.json`, "utf8")) as unknown,
  "data/challenges.json",
);

const bankById = new Map(BANK.map((challenge) => [challenge.id, challenge]));

export function bankChallenge(id: string): Challenge | undefined {
  return bankById.get(id);
}

/** The option name a learner sees for a schema path (hints.1 → hint2). */
function fieldName(path: readonly PropertyKey[]): string {
  const [head, index] = path;
  if (head === "hints" && typeof index === "number") return `hint${index + 1}`;
  return String(head ?? "challenge");
}

/**
 * Validates a custom challenge from `/challenge add` with the bank's schema; a bad field becomes a
 * UserError naming the option.
 */
export function parseCustomChallenge(input: {
  title: string;
  topic: string;
  difficulty: string;
  track: string;
  prompt: string;
  hints: ReadonlyArray<string | null | undefined>;
  answer: string;
}): z.output<typeof ChallengeFieldsSchema> {
  const hints = input.hints.filter((hint): hint is string => typeof hint === "string");
  const result = ChallengeFieldsSchema.safeParse({ ...input, hints });
  if (result.success) return result.data;
  const lines = result.error.issues.slice(0, 5).map((issue) => {
    // Map an index among the given hints back to the option it came from (hint1..hint3).
    let path: readonly PropertyKey[] = issue.path;
    if (path[0] === "hints" && typeof path[1] === "number") {
      const given = input.hints.map((hint, i) => (typeof hint === "string" ? i : -1)).filter((i) => i >= 0);
      path = ["hints", given[path[1]] ?? path[1]];
    }
    return `\`${fieldName(path)}\` ${issue.message}`;
  });
  throw new UserError(`That challenge was not added:\n${lines.join("\n")}`);
}
