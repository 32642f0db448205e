// Daily fan-out: 1,000 guilds whose challenge is due at the same minute. The real bot (in this process,
// with a ManualClock just past the post time) runs its challenge job; every guild must get exactly one
// post, and the bot must never exceed 50 REST requests per second (the server counts any 1 s window).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChannelType } from "discord.js";
import { type Bot, createBot } from "../src/bot.js";
import { ManualClock } from "../src/clock.js";
import type { Config } from "../src/config.js";
import { GuildConfigSchema, guildConfigKey, WelcomeSchema, welcomeKey } from "../src/guild/config.js";
import { silentLogger } from "../src/log.js";
import { openStore } from "../src/store/open.js";
import { type GuildSpec, startDiscordServer } from "../tests/support/discord-server.js";
import { fmt, log, type Section, table } from "./lib.js";

const GUILDS = 1_000;
const MAX_RATE = 50;
const POST_TIME = "09:00";

const guildId = (g: number) => String(800_000_000_000_000_000n + BigInt(g));
const nexusChannelId = (g: number) => String(810_000_000_000_000_000n + BigInt(g));

function guildSpec(g: number): GuildSpec {
  return {
    id: guildId(g),
    name: `Fan-out guild ${g}`,
    owner: { id: String(820_000_000_000_000_000n + BigInt(g)), username: `owner${g}` },
    channels: [
      { id: String(830_000_000_000_000_000n + BigInt(g)), name: "general", type: ChannelType.GuildText },
      { id: nexusChannelId(g), name: "prodevprojectnexus", type: ChannelType.GuildText },
    ],
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Most timestamps within any window of `ms`. */
function busiestWindow(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[start] ?? 0) <= (sorted[end] ?? 0) - ms) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

export async function benchFanout(): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), "nexus-bench-fanout-"));
  const server = await startDiscordServer({
    guilds: Array.from({ length: GUILDS }, (_, g) => guildSpec(g)),
  });
  const today = new Date().toISOString().slice(0, 10);
  const postAt = Date.parse(`${today}T${POST_TIME}:00Z`);
  const clock = new ManualClock(postAt + 30_000);
  const logger = silentLogger();
  const store = await openStore(`sqlite://${join(dir, "nexus.sqlite")}`, logger);
  let bot: Bot | undefined;
  try {
    // Every guild already set up the same way (channel, UTC, 09:00) and welcomed, as on a normal day.
    await Promise.all(
      Array.from({ length: GUILDS }, async (_, g) => {
        await store.set(guildConfigKey(guildId(g)), GuildConfigSchema, {
          channelId: nexusChannelId(g),
          timezone: "UTC",
          postTime: POST_TIME,
          channelSource: "setup",
          updatedAt: postAt - 86_400_000,
          updatedBy: null,
        });
        await store.set(welcomeKey(guildId(g)), WelcomeSchema, {
          channelId: nexusChannelId(g),
          at: postAt - 86_400_000,
        });
      }),
    );
    const config: Config = {
      token: server.token,
      apiUrl: server.apiUrl,
      databaseUrl: "sqlite://(bench)",
      nexusChannel: "prodevprojectnexus",
      devGuildId: undefined,
      logLevel: "silent",
      shutdownTimeoutMs: 2_000,
      shards: undefined,
    };
    bot = await createBot({ config, logger, store, clock });
    log(`fan-out: ${GUILDS} guilds due at ${POST_TIME} UTC; clock at ${new Date(clock.now()).toISOString()}`);
    const started = Date.now();
    await bot.start();
    await bot.ready;
    // The job ran at ready (runNow); join that run, then run it twice more: stragglers are retried and
    // nothing may be posted twice.
    await bot.ctx.jobs.runNow("challenge");
    const firstRunMs = Date.now() - started;
    const countPosts = () => {
      const perGuild: number[] = [];
      for (let g = 0; g < GUILDS; g++) {
        perGuild.push(
          server.messagesIn(nexusChannelId(g)).filter((m) => {
            const author = m.author as { id?: string } | undefined;
            return author?.id === server.botUser.id;
          }).length,
        );
      }
      return perGuild;
    };
    const afterFirst = countPosts();
    clock.advance(60_000);
    await bot.ctx.jobs.runNow("challenge");
    clock.advance(60_000);
    await bot.ctx.jobs.runNow("challenge");
    await pause(500);
    const final = countPosts();
    const threads = Array.from({ length: GUILDS }, (_, g) => server.threadsIn(nexusChannelId(g)).length);
    const posts = server.requests.filter(
      (r) => r.method === "POST" && /^\/channels\/\d+\/messages$/.test(r.path),
    );
    const postTimes = posts.map((r) => r.at);
    const firstPost = Math.min(...postTimes);
    const lastPost = Math.max(...postTimes);
    const maxRate = server.maxRequestsPerSecond();
    const busiest100ms = busiestWindow(
      server.requests.filter((r) => !r.interactionCallback).map((r) => r.at),
      100,
    );
    const restRequests = server.requests.filter((r) => !r.interactionCallback).length;
    const limited = server.requests.filter((r) => r.status === 429).length;
    const postedOnce = final.filter((n) => n === 1).length;
    const duplicates = final.filter((n) => n > 1).length;
    const missing = final.filter((n) => n === 0).length;
    const firstRunPosted = afterFirst.filter((n) => n >= 1).length;
    log(
      `fan-out: ${postedOnce} posted once, ${duplicates} twice or more, ${missing} missing; max ${maxRate} req/s`,
    );

    const body = [
      `${GUILDS.toLocaleString("en-US")} guilds on the local Discord server, each set up with its Nexus channel, UTC and a ${POST_TIME}`,
      "post time (and already welcomed). The real bot starts in the bench process with a ManualClock 30 s past",
      "the post time; its challenge job runs at ready, and the bench runs it twice more (a minute later each)",
      "to show that nothing is posted twice and that stragglers would be retried. Every REST request but",
      "interaction callbacks is throttled to 50 per second by the bot's client; the server records the arrival",
      "of every request and counts the busiest 1 s window.",
      "",
      table(
        ["measure", "value"],
        [
          ["guilds posted exactly once", `${postedOnce} / ${GUILDS}`],
          ["guilds posted by the first run", `${firstRunPosted} / ${GUILDS}`],
          ["guilds posted twice or more", duplicates],
          ["guilds never posted", missing],
          ["discussion threads opened", threads.reduce((a, b) => a + b, 0)],
          ["REST requests (all, whole run)", restRequests],
          ["busiest 1 s window", `${maxRate} requests`],
          ["busiest 100 ms window", `${busiest100ms} requests (an even 50/s would be 5)`],
          ["429 answers", limited],
          ["first post → last post", `${fmt((lastPost - firstPost) / 1000, 1)} s`],
          ["start → first run finished", `${fmt(firstRunMs / 1000, 1)} s`],
          [
            "posts per second (first → last)",
            fmt((posts.length / Math.max(1, lastPost - firstPost)) * 1000, 1),
          ],
        ],
      ),
      "",
      "Each post is two requests (the message with an enforced nonce, then its thread), so 1,000 guilds take",
      "at least 40 s at 50 requests per second.",
      ...(maxRate > MAX_RATE
        ? [
            "",
            "**Why the rate target is missed**",
            "",
            `- The busiest 1 s window of arrivals held ${maxRate} requests. Two limiters stand in front of the bot's`,
            "  REST calls: discord.js's own (`globalRequestsPerSecond: 50`, counted in fixed windows, which alone",
            "  lets up to 100 through in a second that straddles two windows) and the bot's sliding window",
            "  (src/discord/ratelimit.ts, 50 per 1,000 ms). The sliding window stamps a request when it releases",
            "  it; the server stamps it when it arrives. Releases come in bursts (the busiest 100 ms above), and the",
            "  few milliseconds each request then spends in undici, the network stack and the event loop vary, so",
            "  a 1 s window of arrivals can hold a few more than 50 releases did. A margin in the limiter (e.g. 50",
            "  per 1,100 ms, or 45 per 1,000 ms) would keep arrivals at or under 50.",
          ]
        : []),
    ].join("\n");
    return {
      title: "Daily fan-out",
      body,
      targets: [
        {
          name: `${GUILDS.toLocaleString("en-US")} guilds due at once: all posted exactly once`,
          met: postedOnce === GUILDS,
          detail: `${postedOnce} once, ${duplicates} more than once, ${missing} never`,
        },
        {
          name: `never above ${MAX_RATE} REST requests per second`,
          met: maxRate <= MAX_RATE,
          detail: `busiest 1 s window: ${maxRate}`,
        },
      ],
    };
  } finally {
    await bot?.stop();
    await store.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
