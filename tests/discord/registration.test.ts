import { SlashCommandBuilder } from "discord.js";
import { describe, expect, it } from "vitest";
import { commandsDiffer, normaliseCommand } from "../../src/discord/registration.js";

const local = new SlashCommandBuilder()
  .setName("learn")
  .setDescription("Learning journal")
  .addSubcommand((sub) =>
    sub
      .setName("log")
      .setDescription("Log")
      .addStringOption((o) => o.setName("text").setDescription("Text").setRequired(true))
      .addStringOption((o) => o.setName("topic").setDescription("Topic").setAutocomplete(true)),
  )
  .toJSON();

/** What Discord returns for the same command: ids, version and every default spelled out. */
const remote = {
  id: "1234",
  application_id: "99",
  version: "555",
  type: 1,
  name: "learn",
  name_localizations: null,
  description: "Learning journal",
  description_localizations: null,
  default_member_permissions: null,
  dm_permission: true,
  nsfw: false,
  integration_types: [0],
  contexts: null,
  options: [
    {
      type: 1,
      name: "log",
      name_localizations: null,
      description: "Log",
      description_localizations: null,
      options: [
        { type: 3, name: "text", description: "Text", required: true },
        { type: 3, name: "topic", description: "Topic", autocomplete: true, required: false },
      ],
    },
  ],
};

describe("command registration", () => {
  it("GIVEN builder JSON and Discord's copy with its defaults THEN they are not different", () => {
    expect(normaliseCommand(local)).toEqual(normaliseCommand(remote));
    expect(commandsDiffer([local], [remote])).toBe(false);
  });

  it("GIVEN the same commands in another order THEN they are not different", () => {
    const other = { ...remote, name: "ask", id: "2" };
    const otherLocal = { ...local, name: "ask" };
    expect(commandsDiffer([local, otherLocal], [other, remote])).toBe(false);
  });

  it("GIVEN a changed description THEN they differ", () => {
    expect(commandsDiffer([{ ...local, description: "Journal" }], [remote])).toBe(true);
  });

  it("GIVEN a new option THEN they differ", () => {
    const changed = new SlashCommandBuilder()
      .setName("learn")
      .setDescription("Learning journal")
      .addSubcommand((sub) =>
        sub
          .setName("log")
          .setDescription("Log")
          .addStringOption((o) => o.setName("text").setDescription("Text").setRequired(true))
          .addStringOption((o) => o.setName("topic").setDescription("Topic").setAutocomplete(true))
          .addStringOption((o) => o.setName("link").setDescription("Link")),
      )
      .toJSON();
    expect(commandsDiffer([changed], [remote])).toBe(true);
  });

  it("GIVEN a permission change THEN they differ", () => {
    expect(commandsDiffer([{ ...local, default_member_permissions: "32" }], [remote])).toBe(true);
  });

  it("GIVEN a command removed locally THEN they differ", () => {
    expect(commandsDiffer([], [remote])).toBe(true);
  });

  it("GIVEN contexts set on both sides THEN Discord's derived dm_permission is ignored", () => {
    expect(
      commandsDiffer([{ ...local, contexts: [0] }], [{ ...remote, contexts: [0], dm_permission: false }]),
    ).toBe(false);
  });
});
