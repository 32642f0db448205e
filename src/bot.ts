import { Client, Events, GatewayIntentBits, Options } from "discord.js";
import { type Clock, systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { InFlight } from "./discord/inflight.js";
import { loadCommands, loadEvents } from "./discord/loader.js";
import { globalWindow, limitedMakeRequest, SlidingWindowLimiter } from "./discord/ratelimit.js";
import type { BotContext } from "./discord/types.js";
import { Jobs } from "./jobs.js";
import type { Logger } from "./log.js";
import type { Store } from "./store/store.js";

export type Bot = {
  readonly client: Client;
  readonly ctx: BotContext;
  start(): Promise<void>;
  /** Resolves when every ClientReady handler (command sync, channel adoption, jobs) has finished. */
  readonly ready: Promise<void>;
  /** Lets in-flight interactions finish (bounded), stops jobs, closes the gateway. Does not close the store. */
  stop(): Promise<void>;
};

/**
 * Caches: the bot needs guilds, channels, roles and itself. Members, users, messages, presences and
 * the rest are not kept, so memory stays flat however large the guilds are.
 */
export function makeCache(): ReturnType<typeof Options.cacheWithLimits> {
  const keepSelf = {
    maxSize: 0,
    keepOverLimit: (entry: { id: string; client: Client }) => entry.id === entry.client.user?.id,
  };
  return Options.cacheWithLimits({
    MessageManager: 0,
    GuildMemberManager: keepSelf,
    UserManager: keepSelf,
    PresenceManager: 0,
    ReactionManager: 0,
    ReactionUserManager: 0,
    GuildEmojiManager: 0,
    GuildStickerManager: 0,
    GuildScheduledEventManager: 0,
    GuildInviteManager: 0,
    GuildBanManager: 0,
    VoiceStateManager: 0,
    StageInstanceManager: 0,
    ThreadMemberManager: 0,
    AutoModerationRuleManager: 0,
    ApplicationCommandManager: 0,
  });
}

function globalLimiter(shards: Config["shards"]): SlidingWindowLimiter {
  const { limit, windowMs } = globalWindow(shards);
  return new SlidingWindowLimiter(limit, windowMs);
}

export function createClient(config: Config, options: { defaultCaches?: boolean } = {}): Client {
  return new Client({
    intents: [GatewayIntentBits.Guilds],
    allowedMentions: { parse: [], repliedUser: false },
    // At most 50 releases per 1.1 s (several processes: their shards' share of it, src/discord/ratelimit.ts),
    // so Discord never sees more than 50 in a second. Retries of a 429 or 5xx go through makeRequest
    // again, so they are limited too.
    rest: { api: config.apiUrl, makeRequest: limitedMakeRequest(globalLimiter(config.shards)) },
    ...(options.defaultCaches ? {} : { makeCache: makeCache() }),
    // As several processes: this one's shards only (each guild's events reach one process; src/config.ts).
    ...(config.shards ? { shards: config.shards.ids, shardCount: config.shards.count } : {}),
  });
}

export async function createBot(options: {
  config: Config;
  logger: Logger;
  store: Store;
  clock?: Clock;
}): Promise<Bot> {
  const { config, logger, store } = options;
  const client = createClient(config);
  const jobs = new Jobs(logger);
  const inflight = new InFlight();
  const [commands, events] = await Promise.all([loadCommands(), loadEvents()]);
  const ctx: BotContext = {
    config,
    store,
    clock: options.clock ?? systemClock,
    logger,
    jobs,
    client,
    commands,
    inflight,
  };
  const readyWork: Promise<unknown>[] = [];
  const readyHandlers = events.filter((event) => event.name === Events.ClientReady).length;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  if (readyHandlers === 0) client.once(Events.ClientReady, () => markReady());
  for (const event of events) {
    const listener = (...args: unknown[]) => {
      if (event.afterReady && !client.isReady()) return;
      const work = Promise.resolve()
        .then(() => (event.execute as (ctx: BotContext, ...rest: unknown[]) => unknown)(ctx, ...args))
        .catch((error: unknown) => logger.error({ err: error, event: event.name }, "event handler failed"));
      if (event.name === Events.ClientReady) {
        readyWork.push(work);
        if (readyWork.length === readyHandlers) void Promise.all(readyWork).then(() => markReady());
      }
    };
    if (event.once) client.once(event.name, listener);
    else client.on(event.name, listener);
  }
  client.on("error", (error) => logger.error({ err: error }, "client error"));
  client.on("warn", (message) => logger.warn({ message }, "client warning"));
  client.rest.on("rateLimited", (info) => logger.debug({ info }, "rate limited"));

  let stopped = false;
  return {
    client,
    ctx,
    ready,
    async start() {
      await client.login(config.token);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // Jobs are told to stop at once and get the same time as the interactions, not time after them: a run
      // left unfinished is taken up by the next process (jobs act on what the store says is due).
      const jobsStopped = jobs.stop(config.shutdownTimeoutMs);
      const finished = await inflight.drain(config.shutdownTimeoutMs);
      if (!finished) logger.warn({ pending: inflight.size }, "stopping with interactions still in flight");
      if (!(await jobsStopped)) logger.warn("stopping with a background job still running");
      await client.destroy();
    },
  };
}
