import { Events } from "discord.js";
import { adoptAndWelcome } from "../src/discord/adopt.js";
import { syncCommands } from "../src/discord/registration.js";
import { defineEvent } from "../src/discord/types.js";

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
      try {
        await syncCommands(client.rest, client.application.id, definitions, {
          guildId: ctx.config.devGuildId,
          logger: ctx.logger,
          store: ctx.store,
        });
      } catch (error) {
        ctx.logger.error({ err: error }, "could not register commands");
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
