import { readFileSync } from "node:fs";
import { z } from "zod";
import { DATA_DIR } from "../paths.js";
import { TOPICS } from "../topics.js";

const known = new Set(TOPICS);

export const MiniProjectSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,60}$/, "must be a lowercase slug"),
  title: z.string().min(1).max(100),
  /** What the backend learner builds. */
  api: z.string().min(20).max(500),
  /** The page the frontend learner builds on top of that API. */
  page: z.string().min(20).max(500),
  topics: z
    .array(z.string().refine((topic) => known.has(topic), "must be one of data/topics.json"))
    .min(1)
    .max(3),
});
export type MiniProject = z.output<typeof MiniProjectSchema>;

export const MiniProjectsSchema = z
  .array(MiniProjectSchema)
  .min(20)
  .refine((projects) => new Set(projects.map((p) => p.id)).size === projects.length, "ids must be unique");

/** Parses the curated list; throws naming the file and the problem. */
export function parseMiniProjects(raw: unknown, file = "data/mini-projects.json"): MiniProject[] {
  const result = MiniProjectsSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`${file} is invalid: ${problems.join("; ")}`);
  }
  return result.data;
}

/** The curated mini-projects (data/mini-projects.json), validated at load. */
export const MINI_PROJECTS: readonly MiniProject[] = parseMiniProjects(
  JSON.parse(readFileSync(`${DATA_DIR}mini-projects.json`, "utf8")) as unknown,
);

const byId = new Map(MINI_PROJECTS.map((project) => [project.id, project]));

export function miniProject(id: string): MiniProject | undefined {
  return byId.get(id);
}

/**
 * A mini-project for a pair: one about a topic both named if any, else about either's topic, else any;
 * the pair id picks among the candidates so consecutive pairs get different suggestions.
 */
export function suggestProject(
  pairId: number,
  topics: readonly (string | null)[],
  projects: readonly MiniProject[] = MINI_PROJECTS,
): MiniProject {
  const named = topics.filter((topic): topic is string => topic !== null);
  const shared = named.filter((topic, i) => named.indexOf(topic) !== i);
  const tiers = [
    projects.filter((p) => shared.some((topic) => p.topics.includes(topic))),
    projects.filter((p) => named.some((topic) => p.topics.includes(topic))),
    projects,
  ];
  const pool = tiers.find((tier) => tier.length > 0) ?? projects;
  const chosen = pool[Math.abs(pairId) % pool.length];
  if (chosen === undefined) throw new Error("no mini-projects loaded");
  return chosen;
}
