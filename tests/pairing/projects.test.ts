import { describe, expect, it } from "vitest";
import {
  MINI_PROJECTS,
  type MiniProject,
  parseMiniProjects,
  suggestProject,
} from "../../src/pairing/projects.js";
import { TOPICS } from "../../src/topics.js";

const project = (id: string, topics: string[]): MiniProject => ({
  id,
  title: id,
  api: "An API that does something useful for the page.",
  page: "A page that shows what the API returns, nicely.",
  topics,
});

describe("mini-projects", () => {
  it("GIVEN data/mini-projects.json THEN at least 20 valid projects load, each about known topics", () => {
    expect(MINI_PROJECTS.length).toBeGreaterThanOrEqual(20);
    expect(new Set(MINI_PROJECTS.map((p) => p.id)).size).toBe(MINI_PROJECTS.length);
    for (const p of MINI_PROJECTS) for (const topic of p.topics) expect(TOPICS).toContain(topic);
  });

  it("GIVEN an unknown topic, a duplicate id or too few projects THEN loading fails naming the problem", () => {
    const valid = MINI_PROJECTS.slice(0, 20);
    expect(() => parseMiniProjects([...valid.slice(1), project("x", ["Basket weaving"])])).toThrow(
      /topics\.0: must be one of data\/topics\.json/,
    );
    expect(() => parseMiniProjects([...valid, { ...(valid[0] as MiniProject) }])).toThrow(
      /ids must be unique/,
    );
    expect(() => parseMiniProjects(valid.slice(0, 5))).toThrow(/mini-projects\.json is invalid/);
  });

  it("GIVEN a topic both members named THEN the suggestion is about it", () => {
    const projects = [project("a", ["Docker"]), project("b", ["GraphQL"]), project("c", ["Django"])];
    for (let id = 1; id <= 5; id++) {
      expect(suggestProject(id, ["GraphQL", "GraphQL"], projects).id).toBe("b");
      expect(suggestProject(id, ["Django", null], projects).id).toBe("c");
    }
  });

  it("GIVEN no topics THEN consecutive pairs get different suggestions from the whole list", () => {
    const ids = new Set([1, 2, 3, 4, 5].map((id) => suggestProject(id, [null, null]).id));
    expect(ids.size).toBe(5);
  });
});
