import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WELCOME_TITLE } from "../../src/discord/adopt.js";
import { getGuildConfig } from "../../src/guild/config.js";
import { startTestBot, type TestBot } from "../support/bot.js";
import { FIXTURE_IDS } from "../support/discord-server.js";

const NEXUS = FIXTURE_IDS.nexusChannelId;
const GENERAL = FIXTURE_IDS.generalChannelId;

describe("/nexus end to end (in-process bot, local Discord)", () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("GIVEN a fresh start THEN valid commands are registered globally in one bulk overwrite", () => {
    const puts = t.server.requestsTo("PUT", /\/applications\/\d+\/commands$/);
    expect(puts).toHaveLength(1);
    expect(puts[0]?.valid).toBe(true);
    const names = t.server.commands().map((command) => command.name);
    expect(names).toContain("nexus");
    expect(names.length).toBe(t.bot.ctx.commands.size);
  });

  it("GIVEN a guild with #prodevprojectnexus THEN it is adopted and welcomed exactly once", async () => {
    const config = await getGuildConfig(t.store, t.clock, t.server.guildId);
    expect(config.channelId).toBe(NEXUS);
    const welcomes = t.server
      .messagesIn(NEXUS)
      .filter((m) => JSON.stringify(m.embeds).includes(WELCOME_TITLE));
    expect(welcomes).toHaveLength(1);
  });

  it("GIVEN a member without Manage Server WHEN they run /nexus setup THEN they are refused ephemerally", async () => {
    const reply = await t.server
      .interact({ commandName: "nexus", subcommand: "setup", options: { channel: GENERAL } })
      .reply();
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toMatch(/Manage Server/);
    expect((await getGuildConfig(t.store, t.clock, t.server.guildId)).channelId).toBe(NEXUS);
  });

  it("GIVEN an admin with a bad time zone THEN the ephemeral error names the expected form and nothing changes", async () => {
    const reply = await t.server
      .interact({
        admin: true,
        commandName: "nexus",
        subcommand: "setup",
        options: { channel: GENERAL, timezone: "Lagos" },
      })
      .reply();
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toMatch(/IANA name/);
    const badTime = await t.server
      .interact({
        admin: true,
        commandName: "nexus",
        subcommand: "setup",
        options: { channel: GENERAL, post_time: "9pm" },
      })
      .reply();
    expect(badTime.content).toMatch(/HH:MM/);
    expect((await getGuildConfig(t.store, t.clock, t.server.guildId)).channelId).toBe(NEXUS);
  });

  it("GIVEN an admin setup THEN it is stored and /nexus config shows it", async () => {
    const reply = await t.server
      .interact({
        admin: true,
        commandName: "nexus",
        subcommand: "setup",
        options: { channel: GENERAL, timezone: "Africa/Lagos", post_time: "07:30" },
      })
      .reply();
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toContain("07:30");
    const shown = await t.server.interact({ commandName: "nexus", subcommand: "config" }).reply();
    const text = JSON.stringify(shown.embeds);
    expect(text).toContain("Africa/Lagos");
    expect(text).toContain(GENERAL);
  });

  it("GIVEN /nexus help THEN every registered command is listed within one embed", async () => {
    const reply = await t.server.interact({ commandName: "nexus", subcommand: "help" }).reply();
    const description = String(reply.embeds[0]?.description ?? "");
    expect(description).toContain("/nexus setup");
    expect(description.length).toBeLessThanOrEqual(4096);
  });

  it("GIVEN timezone autocomplete THEN at most 25 matching zones come back", async () => {
    const choices = await t.server
      .interact({
        commandName: "nexus",
        subcommand: "timezone",
        options: { name: "america/" },
        focused: "name",
      })
      .autocompleteChoices();
    expect(choices.length).toBeGreaterThan(0);
    expect(choices.length).toBeLessThanOrEqual(25);
    expect(choices.every((choice) => String(choice.value).startsWith("America/"))).toBe(true);
  });

  it("GIVEN every request the bot made THEN all were valid and none could ping", () => {
    const invalid = t.server.requests.filter((r) => !r.valid);
    expect(invalid.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.errors)}`)).toEqual([]);
    expect(t.server.requests.filter((r) => r.wouldPing)).toEqual([]);
  });
});
