import { Events } from "discord.js";
import { adoptAndWelcome } from "../src/discord/adopt.js";
import { isTransientError } from "../src/discord/errors.js";
import { syncCommands } from "../src/discord/registration.js";
import { defineEvent } from "../src/discord/types.js";

export const COMMANDS_JOB = "commands";
export const COMMANDS_RETRY_MS = 60_000;

/**
 * Registers commands if they changed (run as several processes: only the one running shard 0, so they
 * do not all compare and overwrite them at once), then adopts the Nexus channel in every guild of this
 * process that has none.
 */
export default defineEvent({
  name: Events.ClientReady,
  once: true,
  async execute(ctx, client) {
    ctx.logger.info({ user: client.user.tag, guilds: client.guilds.cache.size }, "ready");
    if (ctx.config.shards === undefined || ctx.config.shards.ids.includes(0)) {
      const definitions = [...ctx.commands.values()].map((command) => command.data.toJSON());
      let registered = false;
      const register = async () => {
        await syncCommands(client.rest, client.application.id, definitions, {
          guildId: ctx.config.devGuildId,
          logger: ctx.logger,
          store: ctx.store,
        });
        registered = true;
      };
      try {
        await register();
      } catch (error) {
        ctx.logger.error({ err: error }, "could not register commands");
        // Discord failing at start (5xx, a network error) would leave a first install without commands, or an
        // update with the old ones, until a restart: tried again every minute until it works. A refusal
        // (4xx: a definition Discord rejects) would be refused again, so it waits for a fix and a restart.
        if (isTransientError(error)) {
          ctx.jobs.every(
            COMMANDS_JOB,
            COMMANDS_RETRY_MS,
            async () => {
              if (registered) return;
              await register();
              ctx.logger.info("commands registered after all");
            },
            { runNow: false },
          );
        }
      }
    } else {
      ctx.logger.info({ shards: ctx.config.shards.ids }, "commands are registered by the process of shard 0");
    }
    for (const guild of client.guilds.cache.values()) {
      await adoptAndWelcome(ctx, guild).catch((error: unknown) =>
        ctx.logger.error({ err: error, guild: guild.id }, "could not adopt the Nexus channel"),
      );
    }
  },
});
