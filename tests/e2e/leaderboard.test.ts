import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBot, type TestBot } from "../support/bot.js";

describe("/leaderboard end to end", () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({ databaseUrl: "memory://" });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("GIVEN both boards are registered THEN reputation and challenges take a week|month|all period", () => {
    const command = t.server.commands().find((c) => c.name === "leaderboard");
    const subs =
      (command?.options as Array<{ name: string; options: Array<{ name: string; choices: unknown[] }> }>) ??
      [];
    expect(subs.map((s) => s.name).sort()).toEqual(["challenges", "reputation"]);
    for (const sub of subs) {
      expect(sub.options[0]?.name).toBe("period");
      expect(sub.options[0]?.choices).toHaveLength(3);
    }
  });

  it("GIVEN no points yet WHEN /leaderboard challenges is asked THEN an empty board says how to get on it", async () => {
    const reply = await t.server
      .interact({ commandName: "leaderboard", subcommand: "challenges", options: { period: "week" } })
      .reply();
    expect(reply.embeds[0]?.title).toMatch(/Challenge leaderboard/);
    expect(String(reply.embeds[0]?.description)).toMatch(/\/challenge submit/);
  });

  it("GIVEN no reputation yet WHEN /leaderboard reputation is asked THEN it answers within the limits", async () => {
    const reply = await t.server
      .interact({ commandName: "leaderboard", subcommand: "reputation", options: { period: "all" } })
      .reply();
    expect(reply.embeds).toHaveLength(1);
    expect(t.server.requests.filter((r) => !r.valid)).toEqual([]);
  });
});
