import { type APIApplicationCommandOption, ApplicationCommandOptionType } from "discord.js";
import { describe, expect, it } from "vitest";
import accept from "../../commands/accept.js";
import answer from "../../commands/answer.js";
import ask from "../../commands/ask.js";
import leaderboard from "../../commands/leaderboard.js";
import questions from "../../commands/questions.js";
import reputation from "../../commands/reputation.js";
import questionJobs from "../../events/questionJobs.js";
import { CommandModuleSchema, EventModuleSchema } from "../../src/discord/types.js";

type Option = APIApplicationCommandOption & {
  options?: Option[];
  required?: boolean;
  autocomplete?: boolean;
  min_length?: number;
  max_length?: number;
  min_value?: number;
  choices?: Array<{ name: string; value: string | number }>;
};

const optionsOf = (command: { data: { toJSON(): { options?: unknown[] } } }) =>
  (command.data.toJSON().options ?? []) as Option[];
const byName = (options: Option[] | undefined, name: string) => options?.find((o) => o.name === name);

describe("Q&A command definitions (a public contract)", () => {
  it("GIVEN every Q&A module THEN it has the shape the loader checks", () => {
    for (const command of [ask, answer, accept, questions, reputation, leaderboard]) {
      expect(CommandModuleSchema.safeParse(command).success).toBe(true);
      expect(command.data.toJSON().description.length).toBeLessThanOrEqual(100);
    }
    expect(EventModuleSchema.safeParse(questionJobs).success).toBe(true);
  });

  it("GIVEN /ask THEN title is required 15–200, details ≤2,000, topic autocompletes", () => {
    const options = optionsOf(ask);
    expect(options.map((o) => o.name)).toEqual(["title", "details", "topic"]);
    expect(byName(options, "title")).toMatchObject({ required: true, min_length: 15, max_length: 200 });
    expect(byName(options, "details")).toMatchObject({ max_length: 2000 });
    expect(byName(options, "topic")).toMatchObject({ autocomplete: true });
  });

  it("GIVEN /answer THEN question is an autocompleted integer and text is required ≤2,000", () => {
    const options = optionsOf(answer);
    expect(byName(options, "question")).toMatchObject({
      type: ApplicationCommandOptionType.Integer,
      required: true,
      autocomplete: true,
      min_value: 1,
    });
    expect(byName(options, "text")).toMatchObject({ required: true, max_length: 2000 });
  });

  it("GIVEN /accept THEN answer is an autocompleted string whose description shows the id form", () => {
    const option = byName(optionsOf(accept), "answer");
    expect(option).toMatchObject({
      type: ApplicationCommandOptionType.String,
      required: true,
      autocomplete: true,
    });
    expect(option?.description).toContain("12-3");
  });

  it("GIVEN /questions THEN open, search and mine each take a page; open a topic, search a query", () => {
    const subs = optionsOf(questions);
    expect(subs.map((s) => s.name)).toEqual(["open", "search", "mine"]);
    expect(byName(subs, "open")?.options?.map((o) => o.name)).toEqual(["topic", "page"]);
    expect(byName(byName(subs, "search")?.options, "query")).toMatchObject({ required: true });
    expect(byName(byName(subs, "mine")?.options, "page")).toMatchObject({ min_value: 1 });
  });

  it("GIVEN /leaderboard THEN reputation takes period week|month|all as choices", () => {
    const sub = byName(optionsOf(leaderboard), "reputation");
    expect(sub?.type).toBe(ApplicationCommandOptionType.Subcommand);
    expect(byName(sub?.options, "period")?.choices?.map((c) => c.value)).toEqual(["week", "month", "all"]);
  });

  it("GIVEN /reputation THEN member is an optional user", () => {
    expect(byName(optionsOf(reputation), "member")).toMatchObject({
      type: ApplicationCommandOptionType.User,
    });
    expect(byName(optionsOf(reputation), "member")?.required).toBeFalsy();
  });
});
