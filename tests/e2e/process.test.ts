import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/clock.js";
import { WELCOME_TITLE } from "../../src/discord/adopt.js";
import { setupGuild } from "../../src/guild/config.js";
import { silentLogger } from "../../src/log.js";
import { openStore } from "../../src/store/open.js";
import { defaultGuildSpec, fixedSnowflake } from "../support/discord-fixtures.js";
import { shardOf } from "../support/discord-gateway.js";
import { type DiscordServer, FIXTURE_IDS, startDiscordServer } from "../support/discord-server.js";
import { type LocalServer, required, skipWithout } from "../support/ports.js";
import { startPostgres } from "../support/postgres.js";
import { type BotProcess, spawnBot } from "../support/process.js";
import { startRedis } from "../support/redis.js";

const NEXUS = FIXTURE_IDS.nexusChannelId;
const GENERAL = FIXTURE_IDS.generalChannelId;

describe("the bot process (npm start) against the local Discord", () => {
  let server: DiscordServer;
  let dir: string;
  let env: Record<string, string>;
  const running: BotProcess[] = [];

  beforeAll(async () => {
    server = await startDiscordServer();
    dir = mkdtempSync(join(tmpdir(), "nexus-process-"));
    env = {
      DISCORD_TOKEN: server.token,
      DISCORD_API_URL: server.apiUrl,
      DATABASE_URL: `sqlite://${join(dir, "nexus.sqlite")}`,
      LOG_LEVEL: "info",
    };
  });

  afterAll(async () => {
    for (const bot of running) if (bot.child.exitCode === null) bot.child.kill("SIGKILL");
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<BotProcess> {
    const bot = spawnBot(env, dir);
    running.push(bot);
    await bot.waitForLog("nexus ready");
    return bot;
  }

  async function sigterm(bot: BotProcess): Promise<{ code: number | null; ms: number }> {
    const sent = Date.now();
    bot.child.kill("SIGTERM");
    const exit = await bot.exited;
    return { code: exit.code, ms: exit.at - sent };
  }

  const welcomes = () =>
    server.messagesIn(NEXUS).filter((message) => JSON.stringify(message.embeds).includes(WELCOME_TITLE));

  it("GIVEN no token WHEN started THEN it exits 1 with a message saying how to get one, and no stack", async () => {
    const bot = spawnBot({ DATABASE_URL: "memory://" }, dir);
    running.push(bot);
    const exit = await bot.exited;
    expect(exit.code).toBe(1);
    expect(bot.stderr()).toMatch(/DISCORD_TOKEN is missing/);
    expect(bot.stderr()).toMatch(/Reset Token/);
    expect(bot.stderr()).not.toMatch(/\bat .*\.js:\d+/);
  });

  it("GIVEN SHARDS= or SHARD_COUNT= left empty (as .env.example allows) THEN the bot starts unsharded", async () => {
    // Its own server: a bot that starts registers and welcomes, which the first-start test counts.
    const own = await startDiscordServer();
    try {
      const blanks: Array<Record<string, string>> = [{ SHARDS: "" }, { SHARD_COUNT: " " }];
      for (const blank of blanks) {
        const bot = spawnBot(
          { DISCORD_TOKEN: own.token, DISCORD_API_URL: own.apiUrl, DATABASE_URL: "memory://", ...blank },
          dir,
        );
        running.push(bot);
        const outcome = await Promise.race([
          bot.waitForLog("nexus ready").then(() => "ready"),
          bot.exited.then(
            (exit) => `exited ${exit.code}: ${bot.stderr()} ${JSON.stringify(bot.logs.at(-1))}`,
          ),
        ]);
        expect(outcome, JSON.stringify(blank)).toBe("ready");
        expect((await sigterm(bot)).code).toBe(0);
      }
    } finally {
      await own.close();
    }
  });

  it("GIVEN a DATABASE_URL whose directory cannot be made THEN it exits 1 saying so in plain words", async () => {
    writeFileSync(join(dir, "a-file"), "");
    const bot = spawnBot({ ...env, DATABASE_URL: `sqlite://${join(dir, "a-file", "nexus.sqlite")}` }, dir);
    running.push(bot);
    const exit = await bot.exited;
    expect(exit.code).toBe(1);
    expect(bot.stderr()).toMatch(
      /^Nexus cannot start: the store at DATABASE_URL \(sqlite:.*a-file.*\) could not be opened/,
    );
    expect(bot.stderr()).not.toMatch(/\bat .*\.js:\d+/);
  });

  it("GIVEN a DATABASE_URL naming a file that is not SQLite THEN it exits 1 at start instead of failing every command", async () => {
    const notDb = join(dir, "not-a-db.sqlite");
    writeFileSync(notDb, "a config file put here by mistake, not a database\n".repeat(200));
    const bot = spawnBot({ ...env, DATABASE_URL: `sqlite://${notDb}` }, dir);
    running.push(bot);
    const exit = await bot.exited;
    expect(exit.code).toBe(1);
    expect(bot.stderr()).toMatch(
      /^Nexus cannot start: the store at DATABASE_URL .* could not be opened: .*not a database/,
    );
  });

  it("GIVEN a wrong token WHEN started THEN it exits 1 without printing the token", async () => {
    const bot = spawnBot({ ...env, DISCORD_TOKEN: "wrong-secret-token" }, dir);
    running.push(bot);
    const exit = await bot.exited;
    expect(exit.code).toBe(1);
    expect(bot.stderr()).toMatch(/could not log in/);
    expect(bot.stderr() + JSON.stringify(bot.logs)).not.toContain("wrong-secret-token");
  });

  it("GIVEN a first start THEN commands are registered, the channel adopted and welcomed; SIGTERM exits 0 in time", async () => {
    server.clearRecords();
    const bot = await start();
    expect(server.requestsTo("PUT", /\/commands$/)).toHaveLength(1);
    expect(welcomes()).toHaveLength(1);
    const reply = await server
      .interact({
        admin: true,
        commandName: "nexus",
        subcommand: "setup",
        options: { channel: GENERAL, timezone: "Asia/Kolkata", post_time: "18:45" },
      })
      .reply();
    expect(reply.content).toContain("18:45");
    const exit = await sigterm(bot);
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(8000);
  });

  it("GIVEN a restart on the same database THEN nothing is re-registered or re-welcomed and the setup is kept", async () => {
    server.clearRecords();
    const bot = await start();
    expect(server.requestsTo("GET", /\/commands$/)).toHaveLength(1);
    expect(server.requestsTo("PUT", /\/commands$/)).toHaveLength(0);
    expect(welcomes()).toHaveLength(1);
    const shown = await server.interact({ commandName: "nexus", subcommand: "config" }).reply();
    expect(JSON.stringify(shown.embeds)).toContain("Asia/Kolkata");
    expect(JSON.stringify(shown.embeds)).toContain("18:45");
    const exit = await sigterm(bot);
    expect(exit.code).toBe(0);
  });

  it("GIVEN commands once registered in DEV_GUILD_ID WHEN it is unset THEN that server does not keep a second, stale copy of every command", async () => {
    const guildId = FIXTURE_IDS.guildId;
    const dev = spawnBot({ ...env, DEV_GUILD_ID: guildId }, dir);
    running.push(dev);
    await dev.waitForLog("nexus ready");
    expect(server.commands(guildId)).toHaveLength(10);
    expect((await sigterm(dev)).code).toBe(0);

    const prod = await start();
    expect(server.commands()).toHaveLength(10);
    // Without the fix every command shows twice in that server: its global copy and the old guild copy.
    expect(server.commands(guildId)).toEqual([]);
    expect((await sigterm(prod)).code).toBe(0);
  });

  it("GIVEN interactions in flight WHEN SIGTERM arrives THEN each is answered before the process exits 0", async () => {
    const bot = await start();
    const handles = Array.from({ length: 30 }, (_, i) =>
      server.interact({
        commandName: "nexus",
        subcommand: "timezone",
        options: { name: i % 2 ? "UTC" : "Europe/Paris" },
      }),
    );
    await handles[0]?.callback;
    const exit = await sigterm(bot);
    expect(exit.code).toBe(0);
    const replies = await Promise.allSettled(handles.map((handle) => handle.reply({ timeoutMs: 2000 })));
    expect(replies.filter((r) => r.status === "fulfilled")).toHaveLength(30);
  });
});

/**
 * The same process on Redis and on PostgreSQL (DATABASE_URL=redis://… or postgres://…), where one process
 * is not enough for SQLite's file: servers of the test's own (tests/support/ports.ts skipWithout: when skipped).
 */
const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
afterAll(async () => {
  await Promise.all([redis?.stop(), postgres?.stop()]);
});
const networked: Array<[string, LocalServer | null]> = [
  ["Redis", redis],
  ["PostgreSQL", postgres],
];
for (const [name, backend] of networked) {
  describe.skipIf(skipWithout(backend))(`the bot process on ${name}`, () => {
    let server: DiscordServer;
    let env: Record<string, string>;
    const running: BotProcess[] = [];

    beforeAll(async () => {
      const database = required(name, backend);
      server = await startDiscordServer();
      await database.flush();
      env = { DISCORD_TOKEN: server.token, DISCORD_API_URL: server.apiUrl, DATABASE_URL: database.url };
    });

    afterAll(async () => {
      for (const bot of running) if (bot.child.exitCode === null) bot.child.kill("SIGKILL");
      await server?.close();
    });

    async function start(): Promise<BotProcess> {
      const bot = spawnBot(env);
      running.push(bot);
      await bot.waitForLog("nexus ready");
      return bot;
    }

    it("GIVEN 20 concurrent logs and a restart THEN every entry has its own number and is still there", async () => {
      const first = await start();
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          server
            .interact({
              user: { id: String(700_000_000_000_000_000n + BigInt(i)), username: `learner${i}` },
              commandName: "learn",
              subcommand: "log",
              options: { topic: "Caching and Redis", text: `Entry ${i}: keyv on ${name} keeps every write` },
            })
            .reply(),
        ),
      );
      const numbers = replies.map((reply) => Number(/#(\d+)/.exec(String(reply.embeds[0]?.title))?.[1]));
      expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      first.child.kill("SIGTERM");
      expect((await first.exited).code).toBe(0);

      const second = await start();
      const found = await server
        .interact({ commandName: "learn", subcommand: "search", options: { query: `keyv on ${name}` } })
        .reply();
      expect(JSON.stringify(found.embeds)).toContain("10 best matches");
      const stats = await server.interact({ commandName: "learn", subcommand: "stats" }).reply();
      const fields = (stats.embeds[0]?.fields ?? []) as Array<{ name: string; value: string }>;
      expect(fields.find((field) => field.name === "Entries")?.value).toMatch(/^\*\*20\*\*/);
      expect(fields.find((field) => field.name === "Active learners")?.value).toMatch(/^\*\*20\*\*/);
      second.child.kill("SIGTERM");
      expect((await second.exited).code).toBe(0);
    }, 60_000);
  });
}

/**
 * The bot as two processes (SHARDS=0 and SHARDS=1 of SHARD_COUNT=2) on one Redis, against a local Discord
 * with one guild on each shard: what the README's "shard by guild" means, end to end.
 */
describe.skipIf(skipWithout(redis))("the bot as two processes, one shard each, on Redis", () => {
  const second = fixedSnowflake("2024-02-01T10:00:00.001Z", 1); // the other shard than the fixture guild
  const secondNexus = fixedSnowflake("2024-02-01T10:00:01.001Z", 1);
  const guilds = [FIXTURE_IDS.guildId, second];
  const nexusOf = new Map([
    [FIXTURE_IDS.guildId, NEXUS],
    [second, secondNexus],
  ]);
  let server: DiscordServer;
  const running: BotProcess[] = [];

  beforeEach(async () => {
    await required("Redis", redis).flush();
    server = await startDiscordServer({
      guilds: [
        defaultGuildSpec(),
        { id: second, name: "Other", channels: [{ id: secondNexus, name: "prodevprojectnexus" }] },
      ],
    });
  });

  afterEach(async () => {
    for (const bot of running.splice(0)) if (bot.child.exitCode === null) bot.child.kill("SIGKILL");
    await server?.close();
  });

  /** Both processes, shard 0 and shard 1 of 2, ready. */
  async function startBoth(): Promise<BotProcess[]> {
    expect(guilds.map((guild) => shardOf(guild, 2)).sort()).toEqual([0, 1]);
    const bots = [0, 1].map((shard) =>
      spawnBot({
        DISCORD_TOKEN: server.token,
        DISCORD_API_URL: server.apiUrl,
        DATABASE_URL: required("Redis", redis).url,
        LOG_LEVEL: "debug",
        SHARDS: String(shard),
        SHARD_COUNT: "2",
      }),
    );
    running.push(...bots);
    await Promise.all(bots.map((bot) => bot.waitForLog("nexus ready")));
    return bots;
  }

  async function stopBoth(bots: BotProcess[]): Promise<void> {
    // Every log line is written by the time the process has exited (pino writes asynchronously).
    for (const bot of bots) bot.child.kill("SIGTERM");
    expect((await Promise.all(bots.map((bot) => bot.exited))).map((exit) => exit.code)).toEqual([0, 0]);
  }

  it("GIVEN both started THEN commands are registered once, each guild is welcomed and served by its own shard's process", async () => {
    const bots = await startBoth();
    // Only shard 0's process compares and registers the commands.
    expect(server.requestsTo("GET", /\/commands$/)).toHaveLength(1);
    expect(server.requestsTo("PUT", /\/commands$/)).toHaveLength(1);
    const welcomed = server
      .requestsTo("POST", /^\/channels\/\d+\/messages$/)
      .filter((request) => JSON.stringify(request.body).includes(WELCOME_TITLE))
      .map((request) => request.path);
    expect(welcomed).toHaveLength(2);
    expect(new Set(welcomed).size).toBe(2);

    for (const guildId of guilds) {
      const reply = await server
        .interact({
          guildId,
          commandName: "learn",
          subcommand: "log",
          options: { topic: "Caching and Redis", text: `Logged in guild ${guildId} through its shard` },
        })
        .reply();
      expect(JSON.stringify(reply.embeds)).toContain(`Logged in guild ${guildId}`);
    }
    await stopBoth(bots);
    expect(bots[1]?.logs.map((line) => line.msg)).toContain(
      "commands are registered by the process of shard 0",
    );
    const handled = (bot: BotProcess | undefined) =>
      bot?.logs.filter((line) => line.msg === "handled").map((line) => line.guild);
    for (const guildId of guilds) expect(handled(bots[shardOf(guildId, 2)])).toEqual([guildId]);
  }, 60_000);

  it("GIVEN both guilds due for their daily challenge THEN each is posted once, by its own shard's process", async () => {
    // Both guilds post at 00:00 UTC: due as soon as the processes are ready.
    const seed = await openStore(required("Redis", redis).url, silentLogger());
    for (const guildId of guilds) {
      const channelId = nexusOf.get(guildId) ?? "";
      await setupGuild(seed, systemClock, guildId, {
        channelId,
        timezone: "UTC",
        postTime: "00:00",
        by: "1",
      });
    }
    await seed.close();
    const posts = (guildId: string) =>
      server
        .messagesIn(nexusOf.get(guildId) ?? "")
        .filter((message) => JSON.stringify(message.embeds ?? []).includes('"text":"Daily challenge '));
    const bots = await startBoth();
    const deadline = Date.now() + 15_000;
    while (guilds.some((guildId) => posts(guildId).length === 0) && Date.now() < deadline) await sleep(20);
    await sleep(1_500); // more ticks of both processes: nothing more may be posted
    for (const guildId of guilds) expect(posts(guildId)).toHaveLength(1);
    await stopBoth(bots);
    const stepsFor = (bot: BotProcess | undefined) => [
      ...new Set(bot?.logs.filter((line) => line.msg === "challenge step done").map((line) => line.guildId)),
    ];
    for (const guildId of guilds) expect(stepsFor(bots[shardOf(guildId, 2)])).toEqual([guildId]);
  }, 60_000);
});
