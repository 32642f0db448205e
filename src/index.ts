import { createBot } from "./bot.js";
import { loadConfigOrExit } from "./config.js";
import { ModuleLoadError } from "./discord/loader.js";
import { createLogger } from "./log.js";
import { openStore } from "./store/open.js";

/** Hard ceiling for shutdown: Docker and systemd send SIGKILL after 10 s; we promise 8. */
const EXIT_DEADLINE_MS = 7_800;

/** A URL as it may be shown: a password in it is replaced. */
function withoutCredentials(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled rejection"));
  process.on("uncaughtException", (error) => logger.error({ err: error }, "uncaught exception"));

  const store = await openStore(config.databaseUrl, logger).catch((error: unknown) => {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(
      `the store at DATABASE_URL (${withoutCredentials(config.databaseUrl)}) could not be opened: ${why}`,
    );
  });
  let bot: Awaited<ReturnType<typeof createBot>>;
  try {
    bot = await createBot({ config, logger, store });
  } catch (error) {
    if (error instanceof ModuleLoadError) {
      process.stderr.write(`Nexus cannot start: ${error.message}\n`);
      await store.close();
      process.exit(1);
    }
    throw error;
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, EXIT_DEADLINE_MS).unref();
    try {
      await bot.stop();
      await store.close();
      logger.info("stopped");
      logger.flush();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, "error during shutdown");
      process.exit(1);
    }
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));

  void bot.ready.then(() => logger.info({ guilds: bot.client.guilds.cache.size }, "nexus ready"));
  try {
    await bot.start();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`Nexus could not log in to Discord: ${message}\n`);
    if (/token/i.test(message)) {
      process.stderr.write(
        "Check DISCORD_TOKEN in .env (Developer Portal → your app → Bot → Reset Token).\n",
      );
    }
    await store.close().catch(() => undefined);
    process.exit(1);
  }
}

// Whatever else stops start-up (a store that cannot be opened, say) is said in plain words, with exit code 1:
// an unhandled rejection would only be logged, and Node would then exit 0, which restart policies take for
// a clean stop.
main().catch((error: unknown) => {
  process.stderr.write(`Nexus cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
