import { Events } from "discord.js";
import { onChannelNamed } from "../src/discord/adopt.js";
import { defineEvent } from "../src/discord/types.js";

/** A channel created after the bot joined: adopted when it has the Nexus name and none is set yet. */
export default defineEvent({
  name: Events.ChannelCreate,
  async execute(ctx, channel) {
    await onChannelNamed(ctx, channel);
  },
});
