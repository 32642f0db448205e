// A bot process for the interaction bench, started by bench/interactions.ts (never by hand):
//   BENCH_MODE=floor  a minimal discord.js bot that replies "ok" to every slash command at once (ephemeral
//                     where Nexus answers ephemerally);
//   BENCH_MODE=echo   the same minimal bot answering with Nexus's own answers to that command (sent to it by
//                     the parent with "answers", taken in turn): what the floor costs when the answer is
//                     as large as Nexus's;
//   BENCH_MODE=nexus  the real Nexus bot (every command and event module, its store on SQLite, logs at
//                     info level to stdout, which the parent sends to /dev/null).
// It logs in to the local Discord server at BENCH_API_URL, says "ready", answers "cpu" with its CPU time,
// garbage collections and (Nexus) SQLite statements,
// writes a CPU profile between "profile-start" and "profile-stop", and exits on "stop".
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { constants, type PerformanceEntry, PerformanceObserver } from "node:perf_hooks";
import { Client, Events, GatewayIntentBits, type InteractionReplyOptions, MessageFlags } from "discord.js";
import { createBot } from "../src/bot.js";
import type { Config } from "../src/config.js";
import { createLogger } from "../src/log.js";
import { openStore } from "../src/store/open.js";
import type { DurableSqliteAdapter } from "../src/store/sqlite.js";
import { cpuMs, serveParent, toParent } from "./child.js";
import { commandKey, replyOptions } from "./echo.js";

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set`);
  return value;
};

/** Echo mode: Nexus's answers per command ("learn search"), and which one goes next. */
const answers = new Map<string, { list: InteractionReplyOptions[]; next: number }>();

async function floor(apiUrl: string, token: string, echo: boolean): Promise<() => Promise<void>> {
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: apiUrl } });
  client.on(Events.InteractionCreate, (interaction) => {
    if (!interaction.isChatInputCommand()) return;
    if (echo) {
      const recorded = answers.get(
        commandKey(interaction.commandName, interaction.options.getSubcommand(false)),
      );
      const options = recorded?.list[recorded.next++ % recorded.list.length];
      void interaction.reply(options ?? { content: "no answer recorded" }).catch(() => undefined);
      return;
    }
    // The same visibility as Nexus's answer to that command (only /learn log answers in public), so the
    // local server does the same work for both bots.
    const isPublic =
      interaction.commandName === "learn" && interaction.options.getSubcommand(false) === "log";
    void interaction
      .reply({ content: "ok", ...(isPublic ? {} : { flags: MessageFlags.Ephemeral }) })
      .catch(() => undefined);
  });
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(token);
  await ready;
  return () => client.destroy();
}

async function nexus(apiUrl: string, token: string, databaseUrl: string): Promise<() => Promise<void>> {
  const config: Config = {
    token,
    apiUrl,
    databaseUrl,
    nexusChannel: "prodevprojectnexus",
    devGuildId: undefined,
    logLevel: "info",
    shutdownTimeoutMs: 500,
    shards: undefined,
  };
  // Production logging (pino, async, to stdout): the parent points this process's stdout at /dev/null.
  const logger = createLogger(config.logLevel);
  const store = await openStore(config.databaseUrl, logger);
  sqlite = store.keyv.store as Partial<SqliteCounters>;
  const bot = await createBot({ config, logger, store });
  await bot.start();
  await bot.ready;
  return async () => {
    await bot.stop();
    await store.close();
  };
}

/** The SQLite adapter's statement counters (src/store/sqlite.ts), in Nexus mode. */
type SqliteCounters = Pick<DurableSqliteAdapter, "readStatements" | "writeStatements" | "commits">;
let sqlite: Partial<SqliteCounters> | undefined;

/** BENCH_PROFILE_HEAP=1: with BENCH_PROFILE, also a sampling heap profile (every allocation, kept or not). */
const HEAP = process.env.BENCH_PROFILE_HEAP === "1";

/**
 * Garbage collections so far and the main thread's pauses for them, in ms: young-generation ones
 * (scavenges) and the rest (mark-compact and its incremental steps).
 */
const gc = { minor: 0, minorMs: 0, major: 0, majorMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries() as Array<PerformanceEntry & { detail?: { kind?: number } }>) {
    if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) {
      gc.minor += 1;
      gc.minorMs += entry.duration;
    } else {
      gc.major += 1;
      gc.majorMs += entry.duration;
    }
  }
}).observe({ entryTypes: ["gc"] });

async function main(): Promise<void> {
  const mode = env("BENCH_MODE");
  const apiUrl = env("BENCH_API_URL");
  const token = env("BENCH_TOKEN");
  const stop =
    mode === "nexus"
      ? await nexus(apiUrl, token, env("BENCH_DATABASE_URL"))
      : await floor(apiUrl, token, mode === "echo");
  const session = new Session();
  serveParent(
    {
      // All threads of the process (main, GC helpers, SQLite's pool); `sysMs` is the kernel's share; `gc`
      // the collections and the main thread's pauses for them. A collection's entry reaches the observer a
      // couple of event-loop turns after it ends, so the counters are read after a short wait (idle, no CPU).
      cpu: async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return {
          ms: cpuMs(),
          sysMs: process.cpuUsage().system / 1000,
          gc: { ...gc },
          sqlite: {
            reads: sqlite?.readStatements ?? 0,
            writes: sqlite?.writeStatements ?? 0,
            commits: sqlite?.commits ?? 0,
          },
        };
      },
      // Echo mode: the answers to give to one command, `{ command: "learn search", answers: [data, …] }`.
      answers: (message) => {
        const list = (message.answers as Array<Record<string, unknown>>).map(replyOptions);
        if (list.length === 0) throw new Error(`echo: no answers for ${String(message.command)}`);
        answers.set(String(message.command), { list, next: 0 });
        return {};
      },
      // BENCH_PROFILE: a CPU profile of one measurement, for finding where the time goes.
      "profile-start": async () => {
        session.connect();
        await session.post("Profiler.enable");
        // 100 µs between samples (the default is 1 ms): a burst lasts well under a second.
        await session.post("Profiler.setSamplingInterval", { interval: 100 });
        await session.post("Profiler.start");
        if (HEAP) {
          await session.post("HeapProfiler.enable");
          await session.post("HeapProfiler.startSampling", {
            samplingInterval: 4096,
            includeObjectsCollectedByMajorGC: true,
            includeObjectsCollectedByMinorGC: true,
          });
        }
        return {};
      },
      "profile-stop": async (message) => {
        const { profile } = await session.post("Profiler.stop");
        if (HEAP) {
          const heap = await session.post("HeapProfiler.stopSampling");
          writeFileSync(
            String(message.file).replace(/\.cpuprofile$/, ".heapprofile"),
            JSON.stringify(heap.profile),
          );
        }
        session.disconnect();
        writeFileSync(String(message.file), JSON.stringify(profile));
        return {};
      },
    },
    stop,
  );
  toParent({ type: "ready" });
}

main().catch((error: unknown) => {
  toParent({
    type: "error",
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exit(1);
});
