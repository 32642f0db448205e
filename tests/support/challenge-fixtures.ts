import { type Challenge, ChallengeSchema } from "../../src/challenge/bank.js";

/** A valid bank challenge named after `id` (two hints), for the challenge tests. */
export function challenge(id: string, overrides: Partial<Challenge> = {}): Challenge {
  return ChallengeSchema.parse({
    id,
    title: `Challenge ${id}`,
    topic: "Django",
    difficulty: "easy",
    track: "backend",
    prompt: `Explain how ${id} works and why it matters in production.`,
    hints: ["First hint text", "Second hint text"],
    answer: `The model answer for ${id}.`,
    ...overrides,
  });
}
