// REST from discord.js, not @discordjs/rest: that import would load its ESM copy, whose errors are not the
// DiscordAPIError that registration checks for (discord.js loads the CommonJS one).
import { type APIApplication, REST, Routes } from "discord.js";
import { loadConfigOrExit } from "./config.js";
import { loadCommands } from "./discord/loader.js";
import { syncCommands } from "./discord/registration.js";
import { createLogger } from "./log.js";
import { openStore } from "./store/open.js";

/** `npm run deploy`: registers the slash commands now (the bot also does this on every start). */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  const rest = new REST({ api: config.apiUrl }).setToken(config.token);
  const commands = [...(await loadCommands()).values()].map((command) => command.data.toJSON());
  const application = (await rest.get(Routes.currentApplication())) as APIApplication;
  // The bot's store: it remembers where the commands were registered last (a server to clear on a change).
  const store = await openStore(config.databaseUrl, logger);
  const result = await syncCommands(rest, application.id, commands, {
    guildId: config.devGuildId,
    logger,
    store,
  }).finally(() => store.close());
  process.stdout.write(
    `${result.changed ? "Registered" : "Already up to date:"} ${result.count} commands (${result.scope}${
      config.devGuildId ? ` ${config.devGuildId}` : ""
    }).\n`,
  );
  logger.flush();
}

main().catch((error: unknown) => {
  process.stderr.write(`Deploy failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
