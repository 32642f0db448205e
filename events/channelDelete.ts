import { Events } from "discord.js";
import { onChannelDeleted } from "../src/discord/adopt.js";
import { defineEvent } from "../src/discord/types.js";

/** The Nexus channel deleted: unset, and another with the Nexus name adopted if there is one. */
export default defineEvent({
  name: Events.ChannelDelete,
  async execute(ctx, channel) {
    if (channel.isDMBased()) return;
    await onChannelDeleted(ctx, channel);
  },
});
