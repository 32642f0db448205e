import { PermissionFlagsBits } from "discord.js";
import { describe, expect, it } from "vitest";
import challenge from "../../commands/challenge.js";
import challengeJobs from "../../events/challengeJobs.js";
import { ChallengeFieldsSchema } from "../../src/challenge/bank.js";

type Option = {
  name: string;
  type: number;
  required?: boolean;
  min_length?: number;
  max_length?: number;
  min_value?: number;
  max_value?: number;
  autocomplete?: boolean;
  choices?: Array<{ value: string }>;
  options?: Option[];
};

describe("/challenge definition", () => {
  const json = challenge.data.toJSON();
  const subs = (json.options ?? []) as Option[];
  const sub = (name: string) => subs.find((option) => option.name === name);

  it("GIVEN the builder THEN the subcommands are exactly the public contract", () => {
    expect(json.name).toBe("challenge");
    expect(subs.map((option) => option.name).sort()).toEqual(
      ["add", "hint", "post", "settings", "skip", "streak", "submit", "today"].sort(),
    );
    expect(json.contexts).toEqual([0]);
  });

  it("GIVEN learners use /challenge THEN the command has no default permission (admin subcommands check at run time)", () => {
    expect(json.default_member_permissions ?? null).toBeNull();
    expect(PermissionFlagsBits.ManageGuild).toBeDefined();
  });

  it("GIVEN submit THEN answer is required and capped at 2,000 characters", () => {
    expect(sub("submit")?.options).toEqual([
      expect.objectContaining({ name: "answer", required: true, max_length: 2000 }),
    ]);
  });

  it("GIVEN settings THEN hint_delay_hours is a required integer from 0 to 23", () => {
    expect(sub("settings")?.options).toEqual([
      expect.objectContaining({
        name: "hint_delay_hours",
        type: 4,
        required: true,
        min_value: 0,
        max_value: 23,
      }),
    ]);
  });

  it("GIVEN add THEN it has every challenge field, topic autocompletes and difficulty/track are choices", () => {
    const options = sub("add")?.options ?? [];
    expect(options.map((option) => option.name)).toEqual([
      "title",
      "topic",
      "difficulty",
      "track",
      "prompt",
      "hint1",
      "answer",
      "hint2",
      "hint3",
    ]);
    expect(options.find((o) => o.name === "topic")?.autocomplete).toBe(true);
    expect(options.find((o) => o.name === "difficulty")?.choices?.map((c) => c.value)).toEqual([
      "easy",
      "medium",
      "hard",
    ]);
    expect(options.find((o) => o.name === "track")?.choices?.map((c) => c.value)).toEqual([
      "backend",
      "frontend",
      "pair",
    ]);
  });

  it("GIVEN add THEN every text field carries the schema's minimum length, so Discord refuses a short one before the form is sent", () => {
    const options = sub("add")?.options ?? [];
    const min = (name: string) => options.find((o) => o.name === name)?.min_length;
    expect(["title", "prompt", "hint1", "hint2", "hint3", "answer"].map(min)).toEqual([3, 20, 3, 3, 3, 10]);
    // The same minimums as the schema that checks the fields after Discord sent them.
    const { shape } = ChallengeFieldsSchema;
    const fields = [
      [shape.title, min("title")],
      [shape.prompt, min("prompt")],
      [shape.hints.element, min("hint1")],
      [shape.answer, min("answer")],
    ] as const;
    for (const [schema, length = 0] of fields) {
      expect(schema.safeParse("x".repeat(length)).success).toBe(true);
      expect(schema.safeParse("x".repeat(length - 1)).success).toBe(false);
    }
  });

  it("GIVEN streak and hint THEN their options are optional", () => {
    expect(sub("streak")?.options).toEqual([expect.objectContaining({ name: "member", type: 6 })]);
    expect(sub("streak")?.options?.[0]?.required ?? false).toBe(false);
    expect(sub("hint")?.options).toEqual([expect.objectContaining({ name: "early", type: 5 })]);
  });

  it("GIVEN the job module THEN it runs once on ClientReady", () => {
    expect(challengeJobs.name).toBe("clientReady");
    expect(challengeJobs.once).toBe(true);
  });
});
