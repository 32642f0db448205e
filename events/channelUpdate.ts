import { Events } from "discord.js";
import { onChannelNamed } from "../src/discord/adopt.js";
import { defineEvent } from "../src/discord/types.js";

/** A channel renamed to the Nexus name: adopted when none is set yet. */
export default defineEvent({
  name: Events.ChannelUpdate,
  async execute(ctx, before, after) {
    if (after.isDMBased() || (!before.isDMBased() && before.name === after.name)) return;
    await onChannelNamed(ctx, after);
  },
});
