import { Writable } from "node:stream";
import { REST, SlashCommandBuilder } from "discord.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  commandsDiffer,
  normaliseCommand,
  RegistrationSchema,
  registrationKey,
  syncCommands,
} from "../../src/discord/registration.js";
import { createLogger } from "../../src/log.js";
import { memoryStore } from "../../src/store/open.js";
import { defaultGuildSpec, fixedSnowflake } from "../support/discord-fixtures.js";
import { type DiscordServer, FIXTURE_IDS, startDiscordServer } from "../support/discord-server.js";

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

describe("syncCommands: the scope they are registered in", () => {
  const DEV = FIXTURE_IDS.guildId;
  const OTHER = fixedSnowflake("2024-02-01T10:00:00.001Z", 1);
  const commands = [local, { ...local, name: "ask", description: "Ask a question" }];
  const servers: DiscordServer[] = [];

  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  /** The local Discord with two servers, a store, and a sync as the bot's start runs it (DEV_GUILD_ID). */
  async function setup() {
    const server = await startDiscordServer({
      guilds: [defaultGuildSpec(), { id: OTHER, name: "Other", channels: [] }],
    });
    servers.push(server);
    const rest = new REST({ api: server.apiUrl }).setToken(server.token);
    const store = memoryStore(createLogger("silent"));
    const warnings: string[] = [];
    const logger = createLogger(
      "warn",
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          warnings.push(JSON.parse(chunk.toString()).msg);
          done();
        },
      }),
    );
    const sync = (guildId?: string) =>
      syncCommands(rest, server.applicationId, commands, { guildId, logger, store });
    const names = (guildId?: string) => server.commands(guildId).map((command) => command.name);
    return { store, warnings, sync, names };
  }

  it("GIVEN commands registered in DEV_GUILD_ID WHEN it is unset, or names another server THEN the server used before no longer lists them", async () => {
    const { store, warnings, sync, names } = await setup();
    await sync(DEV);
    expect(names(DEV)).toHaveLength(2);
    await sync(OTHER);
    expect([names(DEV), names(OTHER)]).toEqual([[], ["learn", "ask"]]);
    await sync();
    expect([names(), names(OTHER)]).toEqual([["learn", "ask"], []]);
    expect(await store.get(registrationKey, RegistrationSchema)).toEqual({ guildId: null });
    expect(warnings).toEqual([]);
  });

  it("GIVEN commands registered globally WHEN DEV_GUILD_ID is set THEN the global ones stay (every server uses them) and a warning says so", async () => {
    const { warnings, sync, names } = await setup();
    await sync();
    await sync(DEV);
    expect([names(), names(DEV)]).toEqual([
      ["learn", "ask"],
      ["learn", "ask"],
    ]);
    expect(warnings).toEqual([expect.stringMatching(/registered globally before.*DEV_GUILD_ID is unset/)]);
    // Said once, when the scope changed: not on every start.
    await sync(DEV);
    expect(warnings).toHaveLength(1);
  });

  it("GIVEN commands registered in a server the bot has since left WHEN DEV_GUILD_ID is unset THEN the global ones are registered and the old server is forgotten", async () => {
    const { store, warnings, sync, names } = await setup();
    await store.set(registrationKey, RegistrationSchema, { guildId: "999999999999999999" });
    await sync();
    expect(names()).toEqual(["learn", "ask"]);
    expect(warnings).toEqual(["could not remove the commands of the server used before"]);
    expect(await store.get(registrationKey, RegistrationSchema)).toEqual({ guildId: null });
  });
});
