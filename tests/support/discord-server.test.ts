// Self-tests of the local Discord server, driven by the real discord.js Client (no mocks).
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ChannelType,
  type ChatInputCommandInteraction,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  MessageFlags,
  Routes,
  SlashCommandBuilder,
  type TextChannel,
} from "discord.js";
import * as spec from "discord-api-spec/zod";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import { defaultGuildSpec, FIXTURE_IDS, fixedSnowflake } from "./discord-fixtures.js";
import { shardOf } from "./discord-gateway.js";
import { type DiscordServer, type DiscordServerOptions, startDiscordServer } from "./discord-server.js";

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Connected {
  server: DiscordServer;
  client: Client;
  nexus: TextChannel;
  /** Errors thrown inside interaction handlers. */
  handlerErrors: unknown[];
}

function textChannel(client: Client, id: string): TextChannel {
  const channel = client.channels.cache.get(id);
  if (channel?.type !== ChannelType.GuildText) throw new Error(`channel ${id} is not a cached text channel`);
  return channel;
}

async function connect(opts: DiscordServerOptions = {}): Promise<Connected> {
  const server = await startDiscordServer(opts);
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: server.apiUrl } });
  cleanups.push(async () => {
    await client.destroy();
    await server.close();
  });
  const ready = once(client, Events.ClientReady);
  await client.login(server.token);
  await ready;
  return { server, client, nexus: textChannel(client, FIXTURE_IDS.nexusChannelId), handlerErrors: [] };
}

/** Runs `handler` for every slash command, keeping its errors. */
function onCommand(conn: Connected, handler: (i: ChatInputCommandInteraction) => Promise<void>): void {
  conn.client.on(Events.InteractionCreate, (interaction) => {
    if (!interaction.isChatInputCommand()) return;
    handler(interaction).catch((error: unknown) => conn.handlerErrors.push(error));
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

const learn = new SlashCommandBuilder()
  .setName("learn")
  .setDescription("Learning journal")
  .addSubcommand((sub) =>
    sub
      .setName("log")
      .setDescription("Log what you learned")
      .addStringOption((o) => o.setName("text").setDescription("What").setRequired(true))
      .addStringOption((o) => o.setName("topic").setDescription("Topic").setAutocomplete(true))
      .addIntegerOption((o) => o.setName("minutes").setDescription("How long")),
  );
const ping = new SlashCommandBuilder().setName("ping").setDescription("Ping");

describe("local Discord server", () => {
  it("GIVEN the default fixture WHEN a discord.js client logs in THEN ready fires at once with the guild and its nexus channel", async () => {
    const started = Date.now();
    const { server, client, nexus } = await connect();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(client.user?.id).toBe(server.applicationId);
    expect(client.application?.id).toBe(server.applicationId);
    const guild = client.guilds.cache.get(FIXTURE_IDS.guildId);
    expect(guild?.name).toBe("ProDev Backend");
    expect(guild?.available).toBe(true);
    expect(nexus.name).toBe("prodevprojectnexus");
    expect(guild?.channels.cache.find((c) => c.name === "general")?.type).toBe(ChannelType.GuildText);
    expect(guild?.members.me?.permissions.has("SendMessages")).toBe(true);
    expect(server.identifies).toBe(1);
    expect(server.requestsTo("GET", /^\/gateway\/bot$/)).toHaveLength(1);
  });

  it("GIVEN README's invite link WHEN the bot joins the fixture guild THEN its role has exactly the invite's permissions", async () => {
    // One permission more than a real install has (Manage Threads, say) lets a test pass that fails for real.
    const invite = /permissions=(\d+)/.exec(
      readFileSync(new URL("../../README.md", import.meta.url), "utf8"),
    );
    const { client } = await connect();
    const guild = client.guilds.cache.get(FIXTURE_IDS.guildId);
    const role = client.user ? guild?.roles.botRoleFor(client.user) : null;
    expect(role?.permissions.bitfield.toString()).toBe(invite?.[1]);
  });

  it("GIVEN a wrong token WHEN the client logs in THEN REST answers 401 and the login fails without IDENTIFY", async () => {
    const server = await startDiscordServer({ token: "right" });
    const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: server.apiUrl } });
    cleanups.push(async () => {
      await client.destroy();
      await server.close();
    });
    const error = await rejection(client.login("wrong"));
    expect(error).toBeInstanceOf(Error);
    expect(server.requests[0]?.status).toBe(401);
    expect(server.identifies).toBe(0);
  });

  it("GIVEN builder commands WHEN bulk-overwritten and read back THEN Discord's defaults are spelled out and ids are stable", async () => {
    const { server, client } = await connect();
    const body = [learn.toJSON(), ping.toJSON()];
    await client.rest.put(Routes.applicationCommands(server.applicationId), { body });
    const first = server.commands();
    const fetched = await client.rest.get(Routes.applicationCommands(server.applicationId));
    expect(fetched).toEqual(first);
    const learnRemote = first.find((c) => c.name === "learn");
    expect(learnRemote).toMatchObject({
      application_id: server.applicationId,
      type: 1,
      default_member_permissions: null,
      dm_permission: true,
      nsfw: false,
      integration_types: [0],
      contexts: null,
      name_localizations: null,
      description_localizations: null,
    });
    expect(typeof learnRemote?.id).toBe("string");
    expect(typeof learnRemote?.version).toBe("string");
    for (const command of first)
      expect(spec.ApplicationCommandResponseSchema.safeParse(command).success).toBe(true);
    // Same bodies again: same ids and versions.
    await client.rest.put(Routes.applicationCommands(server.applicationId), { body });
    expect(server.commands()).toEqual(first);
    // Guild commands are separate.
    await client.rest.put(Routes.applicationGuildCommands(server.applicationId, server.guildId), {
      body: [ping.toJSON()],
    });
    expect(server.commands(server.guildId).map((c) => c.name)).toEqual(["ping"]);
    expect(server.commands(server.guildId)[0]?.guild_id).toBe(server.guildId);
  });

  it("GIVEN a slash command handler WHEN a member runs it THEN the reply is recorded with the member's context", async () => {
    const conn = await connect();
    const seen: Array<{ manageGuild: boolean; sub: string; text: string; minutes: number | null }> = [];
    onCommand(conn, async (i) => {
      seen.push({
        manageGuild: i.memberPermissions?.has("ManageGuild") ?? true,
        sub: i.options.getSubcommand(),
        text: i.options.getString("text", true),
        minutes: i.options.getInteger("minutes"),
      });
      await i.reply({
        content: `logged: ${i.options.getString("text", true)}`,
        allowedMentions: { parse: [] },
      });
    });
    await conn.client.application?.commands.set([learn.toJSON()]);
    const handle = conn.server.interact({
      commandName: "learn",
      subcommand: "log",
      options: { text: "closures", minutes: "25" },
    });
    const reply = await handle.reply();
    expect(reply).toMatchObject({
      callbackType: 4,
      content: "logged: closures",
      ephemeral: false,
      wouldPing: false,
    });
    expect(seen).toEqual([{ manageGuild: false, sub: "log", text: "closures", minutes: 25 }]);
    const callback = await handle.callback;
    expect(callback).toMatchObject({ type: 4, status: 204, late: false });
    expect(conn.server.messagesIn(FIXTURE_IDS.nexusChannelId).map((m) => m.content)).toEqual([
      "logged: closures",
    ]);
    // A second acknowledgement is refused like Discord does.
    const again = await rejection(
      conn.client.rest.post(Routes.interactionCallback(handle.id, handle.token), {
        body: { type: 6 },
        auth: false,
      }),
    );
    expect(again).toBeInstanceOf(DiscordAPIError);
    expect(again instanceof DiscordAPIError ? again.code : 0).toBe(40060);
    expect(conn.handlerErrors).toEqual([]);
  });

  it("GIVEN answered interactions, one unanswered and a plain message WHEN the server forgets settled interactions THEN only the answered ones and their replies are gone", async () => {
    const conn = await connect();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    onCommand(conn, async (i) => {
      const text = i.options.getString("text", true);
      if (text === "slow") await held;
      await i.reply({ content: `logged: ${text}`, allowedMentions: { parse: [] } });
    });
    await conn.client.application?.commands.set([learn.toJSON()]);
    await conn.nexus.send({ content: "a plain message", allowedMentions: { parse: [] } });
    const answered = ["one", "two"].map((text) =>
      conn.server.interact({ commandName: "learn", subcommand: "log", options: { text } }),
    );
    await Promise.all(answered.map((handle) => handle.callback));
    const slow = conn.server.interact({ commandName: "learn", subcommand: "log", options: { text: "slow" } });
    const slowReply = slow.reply();

    expect(conn.server.forgetInteractions()).toBe(2);
    expect(conn.server.messagesIn(FIXTURE_IDS.nexusChannelId).map((m) => m.content)).toEqual([
      "a plain message",
    ]);
    release();
    expect(await slowReply).toMatchObject({ content: "logged: slow" });
    expect(conn.server.messagesIn(FIXTURE_IDS.nexusChannelId).map((m) => m.content)).toEqual([
      "a plain message",
      "logged: slow",
    ]);
    expect(conn.handlerErrors).toEqual([]);
  });

  it("GIVEN bodies over Discord's limits WHEN sent THEN 400 50035 surfaces as DiscordAPIError and the request is recorded invalid", async () => {
    const conn = await connect();
    const errors: unknown[] = [];
    onCommand(conn, async (i) => {
      await i.reply({ content: "x".repeat(2001) }).catch(async (error: unknown) => {
        errors.push(error);
        await i.reply({ content: "Something went wrong.", flags: MessageFlags.Ephemeral });
      });
    });
    const handle = conn.server.interact({ commandName: "ping" });
    const reply = await handle.reply();
    expect(reply).toMatchObject({ content: "Something went wrong.", ephemeral: true });
    expect(handle.callbacks().map((c) => c.status)).toEqual([400, 204]);
    const [contentError] = errors;
    expect(contentError).toBeInstanceOf(DiscordAPIError);
    if (!(contentError instanceof DiscordAPIError)) return;
    expect(contentError.code).toBe(50035);
    expect(contentError.status).toBe(400);
    expect(JSON.stringify(contentError.rawError)).toContain("BASE_TYPE_MAX_LENGTH");

    const embedError = await rejection(conn.nexus.send({ embeds: [{ description: "y".repeat(4097) }] }));
    expect(embedError).toBeInstanceOf(DiscordAPIError);
    if (!(embedError instanceof DiscordAPIError)) return;
    expect(embedError.code).toBe(50035);
    expect(embedError.rawError).toMatchObject({
      code: 50035,
      message: "Invalid Form Body",
      errors: { embeds: { 0: { description: { _errors: [{ code: "BASE_TYPE_MAX_LENGTH" }] } } } },
    });
    const [recorded] = conn.server.requestsTo("POST", /^\/channels\/\d+\/messages$/);
    expect(recorded?.valid).toBe(false);
    expect(recorded?.errors[0]?.path).toEqual(["embeds", 0, "description"]);
    expect(conn.server.messagesIn(FIXTURE_IDS.nexusChannelId)).toEqual([]);
  });

  it("GIVEN a 200 ms deadline WHEN the handler answers later THEN the callback gets 10062 and is recorded late", async () => {
    const conn = await connect({ ackDeadlineMs: 200 });
    const errors: unknown[] = [];
    onCommand(conn, async (i) => {
      await sleep(350);
      await i.reply("too late").catch((error: unknown) => errors.push(error));
    });
    const handle = conn.server.interact({ commandName: "ping" });
    const callback = await handle.callback;
    expect(callback).toMatchObject({ late: true, status: 404, code: 10062 });
    expect(callback.afterMs).toBeGreaterThan(200);
    expect(handle.late).toBe(true);
    expect(String(await rejection(handle.reply()))).toMatch(/deadline/);
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toBeInstanceOf(DiscordAPIError);
    expect(errors[0] instanceof DiscordAPIError ? errors[0].code : 0).toBe(10062);
  });

  it("GIVEN a deferred ephemeral reply WHEN the handler edits it with a file THEN reply() waits for the edit and returns it", async () => {
    const conn = await connect();
    onCommand(conn, async (i) => {
      await i.deferReply({ flags: MessageFlags.Ephemeral });
      await sleep(100);
      await i.editReply({
        content: "Your export is ready.",
        files: [{ attachment: Buffer.from("# Journal\n- closures\n"), name: "journal.md" }],
      });
    });
    const handle = conn.server.interact({ commandName: "learn", subcommand: "log", options: { text: "x" } });
    const reply = await handle.reply();
    expect((await handle.callback).type).toBe(5);
    expect(reply).toMatchObject({ callbackType: 5, content: "Your export is ready.", ephemeral: true });
    expect(reply.attachments.map((a) => [a.filename, a.text])).toEqual([
      ["journal.md", "# Journal\n- closures\n"],
    ]);
    expect(reply.flags & MessageFlags.Loading).toBe(0);
    expect(conn.server.requestsTo("PATCH", /\/messages\/@original$/)[0]?.files[0]?.name).toBe("journal.md");
    // Ephemeral responses are not part of the channel for everyone.
    expect(conn.server.messagesIn(FIXTURE_IDS.nexusChannelId)).toEqual([]);
  });

  it("GIVEN @everyone in content WHEN allowed_mentions is absent THEN wouldPing is true only with Mention Everyone, and with parse: [] it is false", async () => {
    const { server, nexus } = await connect();
    // The invite does not ask for Mention Everyone: Discord posts the text and notifies nobody.
    await nexus.send("@everyone standup in 5");
    server.allowPermissions(nexus.id, server.botUser.id, ["mentionEveryone"]);
    await nexus.send("@everyone standup in 5");
    await nexus.send({ content: "@everyone standup in 5", allowedMentions: { parse: [] } });
    const [unable, loud, quiet] = server.requestsTo("POST", /^\/channels\/\d+\/messages$/);
    expect(unable?.wouldPing).toBe(false);
    expect(loud?.wouldPing).toBe(true);
    expect(loud?.mentions.everyone).toBe(true);
    expect(quiet?.wouldPing).toBe(false);
    expect(server.messagesIn(nexus.id).map((m) => m.mention_everyone)).toEqual([false, true, false]);
  });

  it("GIVEN enforce_nonce WHEN the same nonce is sent twice THEN the first message is returned and nothing new is created", async () => {
    const { server, nexus } = await connect();
    const first = await nexus.send({
      content: "daily challenge",
      nonce: "challenge-2024-05-01",
      enforceNonce: true,
    });
    const second = await nexus.send({
      content: "daily challenge",
      nonce: "challenge-2024-05-01",
      enforceNonce: true,
    });
    expect(second.id).toBe(first.id);
    expect(server.messagesIn(nexus.id)).toHaveLength(1);
    const third = await nexus.send({
      content: "daily challenge",
      nonce: "challenge-2024-05-02",
      enforceNonce: true,
    });
    expect(third.id).not.toBe(first.id);
    expect(spec.MessageResponseSchema.safeParse(server.requests.at(-1)?.response).success).toBe(true);
  });

  it("GIVEN a message WHEN a thread is started from it THEN the thread shares its id, is announced and listed", async () => {
    const { server, client, nexus } = await connect();
    const message = await nexus.send("How do closures work?");
    const created = once(client, Events.ThreadCreate);
    const thread = await message.startThread({ name: "How do closures work?" });
    await created;
    expect(thread.id).toBe(message.id);
    expect(thread.type).toBe(ChannelType.PublicThread);
    expect(client.channels.cache.get(thread.id)?.isThread()).toBe(true);
    expect(server.threadsIn(nexus.id).map((t) => [t.id, t.name, t.type])).toEqual([
      [message.id, "How do closures work?", 11],
    ]);
    expect(spec.ThreadResponseSchema.safeParse(server.requests.at(-1)?.response).success).toBe(true);
    await thread.send("Answer goes here");
    expect(server.messagesIn(thread.id).map((m) => m.content)).toEqual(["Answer goes here"]);
    // A second thread on the same message is refused; private threads obey the permission knob.
    expect(await rejection(message.startThread({ name: "again" }))).toMatchObject({ code: 160004 });
    server.denyPermissions(nexus.id, { createPrivateThreads: true, sendMessages: true });
    const denied = await rejection(nexus.threads.create({ name: "pair", type: ChannelType.PrivateThread }));
    expect(denied).toMatchObject({ code: 50013, status: 403 });
    expect(await rejection(nexus.send("muted"))).toMatchObject({ code: 50013 });
    expect(nexus.permissionsFor(client.user?.id ?? "")?.has("SendMessages")).toBe(false);
    // Still allowed in the thread (SEND_MESSAGES_IN_THREADS), members can be added, archiving is recorded.
    await thread.members.add(FIXTURE_IDS.memberId);
    expect(server.requestsTo("PUT", /thread-members/)[0]?.status).toBe(204);
    await thread.setArchived(true);
    expect(server.channel(thread.id)?.thread_metadata).toMatchObject({ archived: true });
    await thread.send("posting unarchives it");
    expect(server.channel(thread.id)?.thread_metadata).toMatchObject({ archived: false });
    const deleted = once(client, Events.ThreadDelete);
    server.deleteChannel(thread.id);
    await deleted;
    expect(client.channels.cache.has(thread.id)).toBe(false);
  });

  it("GIVEN a connected client WHEN the connection drops THEN it resumes, missed dispatches are replayed and interactions keep working", async () => {
    const conn = await connect();
    const { server, client } = conn;
    onCommand(conn, async (i) => {
      await i.reply("pong");
    });
    const resumed = once(client, Events.ShardResume);
    server.dropConnections();
    const channelId = server.addChannel(server.guildId, { name: "added-while-away" });
    await resumed;
    expect(server.resumes).toBe(1);
    expect(server.identifies).toBe(1);
    expect(client.channels.cache.get(channelId)?.type).toBe(ChannelType.GuildText);
    expect((await server.interact({ commandName: "ping" }).reply()).content).toBe("pong");
    // Op 7 also ends in a resume.
    const resumedAgain = once(client, Events.ShardResume);
    server.requestReconnect();
    await resumedAgain;
    expect(server.resumes).toBe(2);
    expect(server.identifies).toBe(1);
  });

  it("GIVEN injected 429s WHEN the bot sends a message THEN discord.js waits retry_after and the retry succeeds", async () => {
    const { server, nexus } = await connect();
    server.faults = {
      rate429: 1,
      rate500: 0,
      routes: /^\/channels\/\d+\/messages$/,
      retryAfterMs: 60,
      maxConsecutive: 2,
    };
    const started = Date.now();
    const sent = await nexus.send("after the storm");
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    const attempts = server.requestsTo("POST", /^\/channels\/\d+\/messages$/);
    expect(attempts.map((r) => [r.status, r.fault])).toEqual([
      [429, "429"],
      [429, "429"],
      [200, undefined],
    ]);
    expect(attempts[0]?.response).toEqual({
      message: "You are being rate limited.",
      retry_after: 0.06,
      global: false,
    });
    expect(server.messagesIn(nexus.id).map((m) => m.id)).toEqual([sent.id]);
    expect(server.maxRequestsPerSecond()).toBeGreaterThanOrEqual(3);
  });

  it("GIVEN a 500 after the message was created WHEN discord.js retries THEN only enforce_nonce prevents a duplicate", async () => {
    const { server, nexus } = await connect();
    server.faults = {
      rate429: 0,
      rate500: 1,
      afterProcessing: true,
      maxConsecutive: 1,
      routes: /^\/channels\/\d+\/messages$/,
    };
    await nexus.send("no nonce");
    expect(server.messagesIn(nexus.id).map((m) => m.content)).toEqual(["no nonce", "no nonce"]);
    await nexus.send({ content: "with nonce", nonce: "post-1", enforceNonce: true });
    expect(server.messagesIn(nexus.id).filter((m) => m.content === "with nonce")).toHaveLength(1);
    expect(server.requestsTo("POST", /messages$/).map((r) => [r.status, r.fault])).toEqual([
      [500, "500-after-processing"],
      [200, undefined],
      [500, "500-after-processing"],
      [200, undefined],
    ]);
  });

  it("GIVEN autocomplete and a button WHEN the user types and clicks THEN choices and the updated message are recorded", async () => {
    const conn = await connect();
    conn.client.on(Events.InteractionCreate, (i) => {
      const run = async (): Promise<void> => {
        if (i.isAutocomplete()) {
          const typed = i.options.getFocused();
          await i.respond(
            ["closures", "promises", "generics"]
              .filter((t) => t.startsWith(typed))
              .map((t) => ({ name: t, value: t })),
          );
        } else if (i.isChatInputCommand()) {
          await i.reply({
            content: "Logged.",
            components: [
              { type: 1, components: [{ type: 2, style: 1, label: "Undo", custom_id: "undo:1" }] },
            ],
          });
        } else if (i.isButton()) {
          await i.update({ content: "Undone.", components: [] });
        }
      };
      run().catch((error: unknown) => conn.handlerErrors.push(error));
    });
    await conn.client.application?.commands.set([learn.toJSON()]);
    const auto = conn.server.interact({
      commandName: "learn",
      subcommand: "log",
      options: { topic: "pro" },
      focused: "topic",
    });
    expect(await auto.autocompleteChoices()).toEqual([{ name: "promises", value: "promises" }]);
    const logged = await conn.server
      .interact({ commandName: "learn", subcommand: "log", options: { text: "t" } })
      .reply();
    const click = conn.server.interact({ customId: "undo:1" });
    expect((await click.reply()).content).toBe("Undone.");
    expect(conn.server.messagesIn(FIXTURE_IDS.nexusChannelId).map((m) => [m.id, m.content])).toEqual([
      [logged.messageId, "Undone."],
    ]);
    expect(conn.handlerErrors).toEqual([]);
  });

  it("GIVEN REST edge cases THEN unknown routes, members and tokens answer like Discord", async () => {
    const { server, client } = await connect();
    const notFound = await fetch(`${server.apiUrl}/v10/nope`, {
      headers: { authorization: `Bot ${server.token}` },
    });
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ message: "404: Not Found", code: 0 });
    expect(notFound.headers.get("x-ratelimit-bucket")).toBeTruthy();
    const unauthorized = await fetch(`${server.apiUrl}/v10/users/@me`, {
      headers: { authorization: "Bot nope" },
    });
    expect(unauthorized.status).toBe(401);
    const guild = client.guilds.cache.get(server.guildId);
    expect(
      await rejection(guild?.members.fetch({ user: "123456789012345678", force: true }) ?? Promise.resolve()),
    ).toMatchObject({
      code: 10007,
    });
    server.addMember(server.guildId, { id: "123456789012345678", username: "newbie" });
    expect((await guild?.members.fetch({ user: "123456789012345678", force: true }))?.user.username).toBe(
      "newbie",
    );
    server.removeMember(server.guildId, "123456789012345678");
    expect(
      await rejection(guild?.members.fetch({ user: "123456789012345678", force: true }) ?? Promise.resolve()),
    ).toMatchObject({
      code: 10007,
    });
    const nexusRaw = await client.rest.get(Routes.channel(FIXTURE_IDS.nexusChannelId));
    expect(spec.GuildChannelResponseSchema.safeParse(nexusRaw).success).toBe(true);
    const gatewayBot = server.requestsTo("GET", /^\/gateway\/bot$/)[0]?.response;
    expect(spec.GatewayBotResponseSchema.safeParse(gatewayBot).success).toBe(true);
    const dm = await client.users.createDM(FIXTURE_IDS.memberId);
    expect(spec.PrivateChannelResponseSchema.safeParse(server.requests.at(-1)?.response).success).toBe(true);
    await dm.send("hello");
    expect(server.messagesIn(dm.id).map((m) => m.content)).toEqual(["hello"]);
  });
  it("GIVEN typed user/channel options, an admin and withResponse WHEN the command runs THEN resolved data, permissions and the callback response are real", async () => {
    const conn = await connect();
    const seen: unknown[] = [];
    onCommand(conn, async (i) => {
      seen.push([
        i.options.getUser("who")?.username,
        i.options.getChannel("where")?.id,
        i.memberPermissions?.has("ManageGuild"),
        i.inCachedGuild() ? i.member.permissions.has("ManageGuild") : "uncached",
      ]);
      const response = await i.reply({ content: "done", withResponse: true });
      seen.push(response.resource?.message?.content);
      await i.followUp({ content: "one more thing", flags: MessageFlags.Ephemeral });
    });
    const handle = conn.server.interact({
      commandName: "setup",
      admin: true,
      options: {
        who: { type: 6, value: FIXTURE_IDS.moderatorId },
        where: { type: 7, value: FIXTURE_IDS.generalChannelId },
      },
    });
    expect((await handle.reply()).content).toBe("done");
    const followups = await handle.followups({ atLeast: 1 });
    expect(followups.map((f) => [f.content, f.ephemeral])).toEqual([["one more thing", true]]);
    expect(seen).toEqual([["linus", FIXTURE_IDS.generalChannelId, true, true], "done"]);
    const callbackRequest = (await handle.callback).request;
    expect(callbackRequest.query.with_response).toBe("true");
    expect(spec.InteractionCallbackResponseSchema.safeParse(callbackRequest.response).success).toBe(true);
    expect(conn.handlerErrors).toEqual([]);
  });

  it("GIVEN a deferred reply WHEN the bot answers with follow-ups THEN the first replaces the deferred response and the next is a follow-up", async () => {
    const conn = await connect();
    onCommand(conn, async (i) => {
      await i.deferReply();
      await i.followUp("first");
      await i.followUp("second");
    });
    const handle = conn.server.interact({ commandName: "ping" });
    expect((await handle.reply()).content).toBe("first");
    expect((await handle.followups({ atLeast: 1 })).map((f) => f.content)).toEqual(["second"]);
    expect(conn.server.messagesIn(FIXTURE_IDS.nexusChannelId).map((m) => m.content)).toEqual([
      "first",
      "second",
    ]);
  });

  it("GIVEN two guilds on different shards WHEN shard 0 and shard 1 of 2 log in THEN each gets only its guild and its guild's interactions", async () => {
    const first = FIXTURE_IDS.guildId;
    const second = fixedSnowflake("2024-02-01T10:00:00.001Z", 1); // one millisecond later: the other shard
    expect(shardOf(second, 2)).toBe(1 - shardOf(first, 2));
    const server = await startDiscordServer({ guilds: [defaultGuildSpec(), { id: second, name: "Other" }] });
    cleanups.push(() => server.close());
    const clients = await Promise.all(
      [0, 1].map(async (shard) => {
        const client = new Client({
          intents: [GatewayIntentBits.Guilds],
          rest: { api: server.apiUrl },
          shards: [shard],
          shardCount: 2,
        });
        const commands: string[] = [];
        client.on(Events.InteractionCreate, (interaction) => {
          if (!interaction.isChatInputCommand()) return;
          commands.push(interaction.guildId ?? "dm");
          void interaction.reply({ content: `shard ${shard}` });
        });
        cleanups.push(() => client.destroy());
        const ready = once(client, Events.ClientReady);
        await client.login(server.token);
        await ready;
        return { client, commands };
      }),
    );
    const served = (guildId: string) => clients[shardOf(guildId, 2)];
    for (const guildId of [first, second]) {
      expect([...(served(guildId)?.client.guilds.cache.keys() ?? [])]).toEqual([guildId]);
    }
    await clients[0]?.client.application?.commands.set([learn.toJSON()]);
    for (const guildId of [first, second, second]) {
      const reply = await server
        .interact({ guildId, commandName: "learn", subcommand: "log", options: { text: "shards" } })
        .reply();
      expect(reply.content).toBe(`shard ${shardOf(guildId, 2)}`);
    }
    expect(served(first)?.commands).toEqual([first]);
    expect(served(second)?.commands).toEqual([second, second]);
  });

  it("GIVEN a shard id outside the shard count WHEN identifying THEN the gateway closes 4010", async () => {
    const server = await startDiscordServer();
    cleanups.push(() => server.close());
    const client = new Client({
      intents: [GatewayIntentBits.Guilds],
      rest: { api: server.apiUrl },
      shards: [2],
      shardCount: 2,
    });
    cleanups.push(() => client.destroy());
    await expect(client.login(server.token)).rejects.toThrow();
    expect(server.identifies).toBe(0);
  });

  it("GIVEN a raw gateway client THEN a wrong IDENTIFY token closes 4004, privileged intents close 4014 and an unknown RESUME gets op 9", async () => {
    const server = await startDiscordServer();
    cleanups.push(() => server.close());
    const session = async (payload: unknown): Promise<{ code?: number; op?: number }> => {
      const ws = new WebSocket(`${server.gatewayUrl}?v=10&encoding=json`);
      const outcome = new Promise<{ code?: number; op?: number }>((resolve) => {
        ws.on("message", (raw: Buffer) => {
          const message: unknown = JSON.parse(raw.toString("utf8"));
          if (typeof message !== "object" || message === null || !("op" in message)) return;
          if (message.op === 10) ws.send(JSON.stringify(payload));
          else if (message.op === 9) resolve({ op: 9 });
        });
        ws.on("close", (code: number) => resolve({ code }));
      });
      const result = await outcome;
      ws.terminate();
      return result;
    };
    const identify = (token: string, intents: number) => ({
      op: 2,
      d: { token, intents, properties: { os: "linux", browser: "test", device: "test" } },
    });
    expect(await session(identify("nope", 1))).toEqual({ code: 4004 });
    expect(await session(identify(server.token, GatewayIntentBits.MessageContent))).toEqual({ code: 4014 });
    expect(await session({ op: 6, d: { token: server.token, session_id: "gone", seq: 3 } })).toEqual({
      op: 9,
    });
    expect(server.identifies).toBe(0);
  });
});
