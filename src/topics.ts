import { readFileSync } from "node:fs";
import { z } from "zod";
import { UserError } from "./discord/errors.js";
import { quoted } from "./discord/text.js";
import { DATA_DIR } from "./paths.js";

const TopicsSchema = z.array(z.string().min(1).max(100)).min(1).max(200);

/** The curated topics of the ProDev Backend program (data/topics.json), validated at load. */
export const TOPICS: readonly string[] = TopicsSchema.parse(
  JSON.parse(readFileSync(`${DATA_DIR}topics.json`, "utf8")) as unknown,
);

const byLower = new Map(TOPICS.map((topic) => [topic.toLowerCase(), topic]));

/** The canonical topic for user input (case-insensitive), or a UserError listing how to pick one. */
export function parseTopic(input: string): string {
  const topic = byLower.get(input.trim().toLowerCase());
  if (topic === undefined) {
    throw new UserError(
      `${quoted(input, 120)} is not one of the program's topics. Pick one from the autocomplete list (for example \`Django\`, \`Docker\` or \`Caching and Redis\`).`,
    );
  }
  return topic;
}
