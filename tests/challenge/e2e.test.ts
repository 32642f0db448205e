// End to end: the real bot process (`node dist/src/index.js`, built by the global setup) against the local
// Discord server, killed with SIGKILL around the post time and restarted against the same SQLite database.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { challengeKeys, DaySchema } from "../../src/challenge/records.js";
import { systemClock } from "../../src/clock.js";
import { setupGuild } from "../../src/guild/config.js";
import { silentLogger } from "../../src/log.js";
import { openStore } from "../../src/store/open.js";
import { localDate } from "../../src/time.js";
import {
  type DiscordServer,
  FIXTURE_IDS,
  type JsonObject,
  startDiscordServer,
} from "../support/discord-server.js";
import { type BotProcess, spawnBot } from "../support/process.js";

async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  bot: BotProcess,
  timeoutMs = 20_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) {
      const logs = bot.logs.map((line) => JSON.stringify(line)).join("\n");
      throw new Error(`timed out waiting for ${what}; stderr: ${bot.stderr()}\nlogs:\n${logs.slice(-4000)}`);
    }
    await sleep(2);
  }
}

const isChallengePost = (message: JsonObject) =>
  JSON.stringify(message.embeds ?? []).includes('"text":"Daily challenge ');

const challengePosts = (server: DiscordServer) =>
  server.messagesIn(FIXTURE_IDS.nexusChannelId).filter(isChallengePost);

const challengeRequests = (server: DiscordServer) =>
  server
    .requestsTo("POST", /^\/channels\/\d+\/messages$/)
    .filter((request) => JSON.stringify(request.body ?? {}).includes("Daily challenge "));

const threadRequests = (server: DiscordServer) =>
  server.requestsTo("POST", /^\/channels\/\d+\/messages\/\d+\/threads$/);

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function scenario(killWhen: (server: DiscordServer) => boolean) {
  const dir = mkdtempSync(join(tmpdir(), "nexus-e2e-challenge-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const databaseFile = join(dir, "nexus.sqlite");
  // The guild posts at 00:00 UTC: the challenge is due as soon as the bot is ready.
  const seed = await openStore(`sqlite://${databaseFile}`, silentLogger());
  await setupGuild(seed, systemClock, FIXTURE_IDS.guildId, {
    channelId: FIXTURE_IDS.nexusChannelId,
    timezone: "UTC",
    postTime: "00:00",
    by: "1",
  });
  await seed.close();
  const server = await startDiscordServer();
  cleanups.push(() => server.close());

  const env = {
    DISCORD_TOKEN: server.token,
    DISCORD_API_URL: server.apiUrl,
    DATABASE_URL: `sqlite://${databaseFile}`,
    LOG_LEVEL: "info",
  };
  const first = spawnBot(env, dir);
  cleanups.push(async () => {
    first.child.kill("SIGKILL");
    await first.exited;
  });
  await until("the moment to kill", () => killWhen(server), first);
  first.child.kill("SIGKILL");
  await first.exited;

  const second = spawnBot(env, dir);
  cleanups.push(async () => {
    second.child.kill("SIGTERM");
    await second.exited;
  });
  await until(
    "the post and its thread",
    () => server.threadsIn(FIXTURE_IDS.nexusChannelId).length > 0,
    second,
  );
  // Wait until the restarted bot has recorded the day as posted (it may first have to recover the post).
  const watcher = await openStore(`sqlite://${databaseFile}`, silentLogger());
  const dayKey = challengeKeys.day(FIXTURE_IDS.guildId, localDate(Date.now(), "UTC"));
  await until(
    "the day recorded as posted",
    async () => (await watcher.get(dayKey, DaySchema))?.post?.state === "posted",
    second,
  );
  await watcher.close();
  await sleep(1_500); // a few more ticks of the restarted bot: nothing more may be posted
  expect(challengePosts(server)).toHaveLength(1);
  expect(server.threadsIn(FIXTURE_IDS.nexusChannelId)).toHaveLength(1);

  second.child.kill("SIGTERM");
  await second.exited;
  const store = await openStore(`sqlite://${databaseFile}`, silentLogger());
  const day = await store.get(
    challengeKeys.day(FIXTURE_IDS.guildId, localDate(Date.now(), "UTC")),
    DaySchema,
  );
  await store.close();
  expect(day?.post).toMatchObject({ state: "posted", messageId: challengePosts(server)[0]?.id });
  return server;
}

describe("daily challenge end to end (SIGKILL and restart)", () => {
  it("GIVEN the bot is killed the moment it sends the post WHEN restarted on the same database THEN exactly one post", async () => {
    const server = await scenario((s) => challengeRequests(s).length > 0);
    // The restart re-sent with the same nonce (Discord de-duplicated it) or found nothing to resend.
    for (const request of challengeRequests(server)) {
      expect(request.body).toMatchObject({ enforce_nonce: true });
    }
    expect(
      new Set(challengeRequests(server).map((r) => JSON.stringify((r.body as { nonce?: unknown }).nonce)))
        .size,
    ).toBe(1);
  }, 60_000);

  it("GIVEN the bot is killed around the opening of the thread WHEN restarted THEN one post and one thread", async () => {
    await scenario((s) => threadRequests(s).length > 0);
  }, 60_000);
});
