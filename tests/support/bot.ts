import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bot, createBot } from "../../src/bot.js";
import { type Clock, ManualClock } from "../../src/clock.js";
import type { Config } from "../../src/config.js";
import { type Logger, silentLogger } from "../../src/log.js";
import { openStore } from "../../src/store/open.js";
import type { KeyvStore } from "../../src/store/store.js";
import { type DiscordServer, type DiscordServerOptions, startDiscordServer } from "./discord-server.js";

export type TestBot = {
  server: DiscordServer;
  bot: Bot;
  store: KeyvStore;
  clock: Clock;
  config: Config;
  /** Stops the bot, closes the store, removes the temp database and (if this harness started it) the server. */
  stop(): Promise<void>;
};

export type TestBotOptions = {
  /** Reuse a running server (e.g. to restart the bot against it); otherwise one is started. */
  server?: DiscordServer;
  serverOptions?: DiscordServerOptions;
  /** Default: a fresh SQLite file in a temp dir (pass `memory://` for speed, or a path to reuse). */
  databaseUrl?: string;
  /** Default: a ManualClock at 2026-11-22T10:00:00Z. */
  clock?: Clock;
  config?: Partial<Config>;
  /** Default: silent. */
  logger?: Logger;
};

export const TEST_NOW = Date.UTC(2026, 10, 22, 10, 0, 0);

/**
 * Starts the real bot (real discord.js Client, real store, every command and event module) in this
 * process against the local Discord server, and waits until its ClientReady work (command sync,
 * channel adoption, jobs) has finished.
 */
export async function startTestBot(options: TestBotOptions = {}): Promise<TestBot> {
  const server = options.server ?? (await startDiscordServer(options.serverOptions));
  let tempDir: string | undefined;
  let databaseUrl = options.databaseUrl;
  if (databaseUrl === undefined) {
    tempDir = mkdtempSync(join(tmpdir(), "nexus-e2e-"));
    databaseUrl = `sqlite://${join(tempDir, "nexus.sqlite")}`;
  }
  const config: Config = {
    token: server.token,
    apiUrl: server.apiUrl,
    databaseUrl,
    nexusChannel: "prodevprojectnexus",
    devGuildId: undefined,
    logLevel: "silent",
    shutdownTimeoutMs: 2000,
    shards: undefined,
    ...options.config,
  };
  const logger = options.logger ?? silentLogger();
  const store = await openStore(config.databaseUrl, logger);
  const clock = options.clock ?? new ManualClock(TEST_NOW);
  const bot = await createBot({ config, logger, store, clock });
  await bot.start();
  await bot.ready;
  return {
    server,
    bot,
    store,
    clock,
    config,
    async stop() {
      await bot.stop();
      await store.close();
      if (options.server === undefined) await server.close();
      if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}
