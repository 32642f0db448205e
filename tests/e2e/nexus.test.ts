import { ChannelType } from "discord.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { COMMANDS_JOB } from "../../events/ready.js";
import { WELCOME_JOB } from "../../events/welcomeJobs.js";
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

describe("the Nexus channel after start (a server that had none when the bot joined)", () => {
  const RANDOM = "1300000000000000099";
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({
      serverOptions: {
        guilds: [
          {
            id: FIXTURE_IDS.guildId,
            name: "No Nexus channel yet",
            channels: [
              { id: GENERAL, name: "general" },
              { id: RANDOM, name: "random" },
            ],
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const channelId = async () => (await getGuildConfig(t.store, t.clock, t.server.guildId)).channelId;
  /** Welcomes Discord accepted (their channel may be gone since). */
  const welcomes = () =>
    t.server
      .requestsTo("POST", /^\/channels\/\d+\/messages$/)
      .filter((r) => r.status === 200 && JSON.stringify(r.body).includes(WELCOME_TITLE));
  const configText = async () =>
    JSON.stringify((await t.server.interact({ commandName: "nexus", subcommand: "config" }).reply()).embeds);

  it("GIVEN no channel with the Nexus name THEN /nexus config says how to get one", async () => {
    expect(await channelId()).toBeNull();
    expect(await configText()).toContain("not set: create #prodevprojectnexus");
  });

  it("GIVEN a channel the bot cannot post in WHEN it is renamed to the Nexus name THEN it is adopted, and the refused welcome is posted by a setup once it can post", async () => {
    t.server.denyPermissions(RANDOM, { sendMessages: true });
    t.server.renameChannel(RANDOM, "prodevprojectnexus");
    await vi.waitFor(async () => expect(await channelId()).toBe(RANDOM));
    await vi.waitFor(() =>
      expect(t.server.requestsTo("POST", new RegExp(`/channels/${RANDOM}/messages$`))).toHaveLength(1),
    );
    expect(welcomes()).toHaveLength(0);

    t.server.restorePermissions(RANDOM);
    const reply = await t.server
      .interact({ admin: true, commandName: "nexus", subcommand: "setup", options: { channel: RANDOM } })
      .reply();
    expect(reply.content).toContain("Nexus will use");
    await vi.waitFor(() => expect(welcomes()).toHaveLength(1));
  });

  it("GIVEN the Nexus channel WHEN it is deleted THEN it is unset and /nexus config says so", async () => {
    t.server.deleteChannel(RANDOM);
    await vi.waitFor(async () => expect(await channelId()).toBeNull());
    expect(await configText()).toContain("not set: create #prodevprojectnexus");
  });

  it("GIVEN no Nexus channel WHEN an admin creates one with its name THEN it is adopted, without a second welcome", async () => {
    const created = t.server.addChannel(t.server.guildId, {
      name: "prodevprojectnexus",
      type: ChannelType.GuildText,
    });
    await vi.waitFor(async () => expect(await channelId()).toBe(created));
    expect(await configText()).toContain("adopted by name");
    expect(welcomes()).toHaveLength(1);
  });

  it("GIVEN the Nexus channel deleted WHEN one with its name is created during an outage of the guild THEN it is adopted when the guild is back", async () => {
    const current = await channelId();
    if (current === null) throw new Error("expected an adopted channel");
    t.server.deleteChannel(current);
    await vi.waitFor(async () => expect(await channelId()).toBeNull());
    const back = t.server.guildOutage(t.server.guildId);
    await vi.waitFor(() => expect(t.bot.client.guilds.cache.get(t.server.guildId)?.available).toBe(false));
    const created = t.server.store.addGuildChannel(t.server.guildId, { name: "prodevprojectnexus" }).id;
    back();
    await vi.waitFor(async () => expect(await channelId()).toBe(created));
  });

  it("GIVEN the Nexus channel deleted and another created while the guild was out THEN the new one is adopted when it is back", async () => {
    const current = await channelId();
    if (current === null) throw new Error("expected an adopted channel");
    const back = t.server.guildOutage(t.server.guildId);
    await vi.waitFor(() => expect(t.bot.client.guilds.cache.get(t.server.guildId)?.available).toBe(false));
    t.server.store.deleteChannel(current); // no event reaches the bot
    const created = t.server.store.addGuildChannel(t.server.guildId, { name: "prodevprojectnexus" }).id;
    back();
    await vi.waitFor(async () => expect(await channelId()).toBe(created));
  });

  it("GIVEN the bot removed from the server, its Nexus channel deleted meanwhile WHEN it is invited again THEN it forgets the channel (and adopts one with the name)", async () => {
    const current = await channelId();
    if (current === null) throw new Error("expected an adopted channel");
    t.server.dispatch("GUILD_DELETE", { id: t.server.guildId });
    await vi.waitFor(() => expect(t.bot.client.guilds.cache.has(t.server.guildId)).toBe(false));
    t.server.store.deleteChannel(current);
    t.server.dispatch(
      "GUILD_CREATE",
      t.server.store.guildCreatePayload(t.server.store.requireGuild(t.server.guildId)),
    );
    await vi.waitFor(async () => expect(await channelId()).toBeNull());
    expect(await configText()).toContain("not set: create #prodevprojectnexus");
    const created = t.server.addChannel(t.server.guildId, {
      name: "prodevprojectnexus",
      type: ChannelType.GuildText,
    });
    await vi.waitFor(async () => expect(await channelId()).toBe(created));
  });

  it("GIVEN a channel the bot cannot post in WHEN an admin picks it in /nexus setup THEN they are told what is missing and nothing changes", async () => {
    const before = await channelId();
    t.server.denyPermissions(GENERAL, { sendMessages: true, embedLinks: true });
    const reply = await t.server
      .interact({ admin: true, commandName: "nexus", subcommand: "setup", options: { channel: GENERAL } })
      .reply();
    t.server.restorePermissions(GENERAL);
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toContain("I cannot post in");
    expect(reply.content).toContain("**Send Messages**, **Embed Links**");
    expect(await channelId()).toBe(before);
  });

  it("GIVEN a channel without thread permissions WHEN an admin picks it THEN it is used and the reply says what goes without them", async () => {
    t.server.denyPermissions(GENERAL, { createPublicThreads: true, createPrivateThreads: true });
    const reply = await t.server
      .interact({ admin: true, commandName: "nexus", subcommand: "setup", options: { channel: GENERAL } })
      .reply();
    t.server.restorePermissions(GENERAL);
    expect(reply.content).toContain("Nexus will use");
    expect(reply.content).toContain(
      "without **Create Public Threads**, questions get no thread of their own",
    );
    expect(reply.content).toContain(
      "without **Create Private Threads**, pairs are introduced in public threads",
    );
    expect(await channelId()).toBe(GENERAL);
  });

  it("GIVEN the bot lost permissions in the Nexus channel WHEN an admin runs /nexus config THEN it says what is missing and what goes without it", async () => {
    expect(await channelId()).toBe(GENERAL);
    expect(await configText()).not.toContain("missing");
    t.server.denyPermissions(GENERAL, { sendMessages: true, createPublicThreads: true });
    await vi.waitFor(async () => expect(await configText()).toContain("I cannot post there"));
    const text = await configText();
    t.server.restorePermissions(GENERAL);
    expect(text).toContain("missing **Send Messages**");
    expect(text).toContain("without **Create Public Threads**, questions get no thread of their own");
  });

  it("GIVEN every request the bot made THEN all were valid", () => {
    const invalid = t.server.requests.filter((r) => !r.valid);
    expect(invalid.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.errors)}`)).toEqual([]);
  });
});

describe("the welcome when Discord does not answer, or refuses it", () => {
  const POSTS = /^\/channels\/\d+\/messages$/;
  const welcomesIn = (t: TestBot, channelId: string) =>
    t.server
      .messagesIn(channelId)
      .filter((message) => JSON.stringify(message.embeds).includes(WELCOME_TITLE));
  /** The welcome job, run twice: one welcome in the Nexus channel after each run. */
  const jobWelcomesOnce = async (t: TestBot) => {
    for (let run = 0; run < 2; run++) {
      await t.bot.ctx.jobs.runNow(WELCOME_JOB);
      expect(welcomesIn(t, NEXUS)).toHaveLength(1);
    }
  };

  it("GIVEN Discord answering 5xx to the welcome at start WHEN it recovers THEN the welcome is posted, once", async () => {
    const t = await startTestBot({
      databaseUrl: "memory://",
      serverOptions: {
        faults: { rate429: 0, rate500: 1, maxConsecutive: Number.POSITIVE_INFINITY, routes: POSTS },
      },
    });
    try {
      expect(welcomesIn(t, NEXUS)).toHaveLength(0);
      t.server.faults = { rate429: 0, rate500: 0 };
      await jobWelcomesOnce(t);
    } finally {
      await t.stop();
    }
  });

  it("GIVEN Discord making the welcome but answering 5xx to every try WHEN it recovers THEN the welcome is there once", async () => {
    const NONCE_WINDOW_MS = 1_000;
    const t = await startTestBot({
      databaseUrl: "memory://",
      serverOptions: {
        nonceWindowMs: NONCE_WINDOW_MS,
        faults: {
          rate429: 0,
          rate500: 1,
          afterProcessing: true,
          maxConsecutive: Number.POSITIVE_INFINITY,
          routes: POSTS,
        },
      },
    });
    try {
      // discord.js tried again after each 500: the enforced nonce made each try answer with the first post.
      expect(welcomesIn(t, NEXUS)).toHaveLength(1);
      t.server.faults = { rate429: 0, rate500: 0 };
      // Out of the nonce's window: only looking for the post first keeps a second one out.
      await new Promise((resolve) => setTimeout(resolve, NONCE_WINDOW_MS + 100));
      await jobWelcomesOnce(t);
    } finally {
      await t.stop();
    }
  });

  it("GIVEN an unconfirmed welcome WHEN a setup moves Nexus and its welcome there is unconfirmed too THEN the retry finds it there: one welcome", async () => {
    const NONCE_WINDOW_MS = 1_000;
    const t = await startTestBot({
      databaseUrl: "memory://",
      serverOptions: {
        nonceWindowMs: NONCE_WINDOW_MS,
        faults: { rate429: 0, rate500: 1, maxConsecutive: Number.POSITIVE_INFINITY, routes: POSTS },
      },
    });
    try {
      // Not made in #prodevprojectnexus; then made in #general, but answered 500 to every try.
      expect(welcomesIn(t, NEXUS)).toHaveLength(0);
      t.server.faults = {
        rate429: 0,
        rate500: 1,
        afterProcessing: true,
        maxConsecutive: Number.POSITIVE_INFINITY,
        routes: new RegExp(`^/channels/${GENERAL}/messages$`),
      };
      const reply = await t.server
        .interact({ admin: true, commandName: "nexus", subcommand: "setup", options: { channel: GENERAL } })
        .reply();
      expect(reply.content).toContain("Nexus will use");
      await vi.waitFor(() => expect(welcomesIn(t, GENERAL)).toHaveLength(1), { timeout: 5_000 });
      await vi.waitFor(() =>
        expect(
          t.server.requestsTo("POST", new RegExp(`/channels/${GENERAL}/messages$`)).length,
        ).toBeGreaterThanOrEqual(4),
      );
      t.server.faults = { rate429: 0, rate500: 0 };
      // Out of the nonce's window: only looking for the post where it was made keeps a second one out.
      await new Promise((resolve) => setTimeout(resolve, NONCE_WINDOW_MS + 100));
      await t.bot.ctx.jobs.runNow(WELCOME_JOB);
      expect(welcomesIn(t, GENERAL)).toHaveLength(1);
      expect(welcomesIn(t, NEXUS)).toHaveLength(0);
    } finally {
      await t.stop();
    }
  });

  it("GIVEN a Nexus channel adopted where the bot could not post WHEN it is given the permission THEN the welcome is posted without a setup", async () => {
    const RANDOM = "1300000000000000099";
    const t = await startTestBot({
      databaseUrl: "memory://",
      serverOptions: {
        guilds: [
          {
            id: FIXTURE_IDS.guildId,
            name: "No Nexus channel yet",
            channels: [
              { id: GENERAL, name: "general" },
              { id: RANDOM, name: "random" },
            ],
          },
        ],
      },
    });
    try {
      t.server.denyPermissions(RANDOM, { sendMessages: true });
      t.server.renameChannel(RANDOM, "prodevprojectnexus");
      await vi.waitFor(() =>
        expect(t.server.requestsTo("POST", new RegExp(`/channels/${RANDOM}/messages$`))).toHaveLength(1),
      );
      // Still without it: nothing is tried (no refusal every few minutes).
      await t.bot.ctx.jobs.runNow(WELCOME_JOB);
      expect(t.server.requestsTo("POST", new RegExp(`/channels/${RANDOM}/messages$`))).toHaveLength(1);
      t.server.restorePermissions(RANDOM);
      await vi.waitFor(async () => {
        await t.bot.ctx.jobs.runNow(WELCOME_JOB);
        expect(welcomesIn(t, RANDOM)).toHaveLength(1);
      });
    } finally {
      await t.stop();
    }
  });
});

describe("shutdown with a background job still running", () => {
  it("GIVEN a job run that never ends WHEN the bot stops THEN it stops within its shutdown time anyway", async () => {
    const t = await startTestBot({ databaseUrl: "memory://", config: { shutdownTimeoutMs: 200 } });
    // As a daily fan-out to many servers at 50 requests/s would be: far longer than the 8 s promised.
    t.bot.ctx.jobs.every("endless", 60_000, () => new Promise<void>(() => {}), { runNow: false });
    void t.bot.ctx.jobs.runNow("endless");
    const outcome = await Promise.race([
      t.stop().then(() => "stopped"),
      new Promise<string>((resolve) => setTimeout(() => resolve("still stopping after 5 s"), 5_000)),
    ]);
    expect(outcome).toBe("stopped");
  });
});

describe("command registration when Discord fails at start", () => {
  it("GIVEN Discord answering 5xx to registration at start WHEN it recovers THEN the commands are registered without a restart", async () => {
    const t = await startTestBot({
      databaseUrl: "memory://",
      serverOptions: {
        faults: {
          rate429: 0,
          rate500: 1,
          maxConsecutive: Number.POSITIVE_INFINITY,
          routes: /^\/applications\/\d+\/commands$/,
        },
      },
    });
    try {
      expect(t.server.commands()).toEqual([]);
      t.server.faults = { rate429: 0, rate500: 0 };
      await t.bot.ctx.jobs.runNow(COMMANDS_JOB);
      expect(t.server.commands().map((command) => command.name)).toContain("ask");
      expect(t.server.commands()).toHaveLength(t.bot.ctx.commands.size);
    } finally {
      await t.stop();
    }
  });
});
