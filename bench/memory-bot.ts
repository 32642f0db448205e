// A bot process for the memory bench, started by bench/memory.ts with --expose-gc (never by hand):
// the client exactly as the bot builds it (`createClient`), with Nexus's cache limits (BENCH_CACHES=nexus)
// or discord.js's defaults (BENCH_CACHES=default). It logs in, waits for READY (every GUILD_CREATE
// received), forces garbage collection and reports its memory right away and after 10 s of idling (the
// steady state), and what it cached.
import { Events } from "discord.js";
import { createClient } from "../src/bot.js";
import type { Config } from "../src/config.js";
import { serveParent, toParent } from "./child.js";

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set`);
  return value;
};

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --expose-gc");
  for (let i = 0; i < 4; i++) gc();
}

async function main(): Promise<void> {
  const config: Config = {
    token: env("BENCH_TOKEN"),
    apiUrl: env("BENCH_API_URL"),
    databaseUrl: "memory://",
    nexusChannel: "prodevprojectnexus",
    devGuildId: undefined,
    logLevel: "silent",
    shutdownTimeoutMs: 500,
    shards: undefined,
  };
  const client = createClient(config, { defaultCaches: env("BENCH_CACHES") === "default" });
  collect();
  const before = process.memoryUsage().rss;
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  const started = performance.now();
  await client.login(config.token);
  await ready;
  const readyMs = performance.now() - started;
  // Right after READY: let the last payloads and sockets settle, then collect.
  await pause(500);
  collect();
  const atReady = process.memoryUsage();
  // Steady state: V8 gives back the memory it needed while parsing once the process has been idle a while.
  await pause(Number(process.env.BENCH_SETTLE_MS ?? 10_000));
  collect();
  const steady = process.memoryUsage();
  let members = 0;
  for (const guild of client.guilds.cache.values()) members += guild.members.cache.size;
  serveParent({}, async () => {
    await client.destroy();
  });
  toParent({
    type: "measured",
    rssBefore: before,
    rssAtReady: atReady.rss,
    rss: steady.rss,
    heapUsed: steady.heapUsed,
    guilds: client.guilds.cache.size,
    members,
    users: client.users.cache.size,
    readyMs,
  });
}

main().catch((error: unknown) => {
  toParent({
    type: "error",
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exit(1);
});
