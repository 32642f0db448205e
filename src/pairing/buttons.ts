import { type ButtonInteraction, MessageFlags } from "discord.js";
import { UserError } from "../discord/errors.js";
import type { BotContext } from "../discord/types.js";
import { answerReply, parseFollowUpButtonId } from "./format.js";
import { recordAnswer } from "./pairing.js";

/** Every pairing button's custom_id starts with this (the router sends them here). */
export const PAIRING_BUTTON_PREFIX = "pair:";

/**
 * "We met" / "Not yet" on the 48 h follow-up (custom_id `pair:met:<pairId>:<yes|no>:<guildId>`; the guild
 * id is in the id because the follow-up may come by DM). Only the pair's two members may answer; the first
 * "We met" counts toward "pairs that met". Refusals are `UserError`s for the central error path.
 */
export async function handlePairingButton(interaction: ButtonInteraction, ctx: BotContext): Promise<void> {
  const parsed = parseFollowUpButtonId(interaction.customId);
  if (parsed === null) throw new UserError("This button is no longer valid.");
  if (interaction.guildId !== null && interaction.guildId !== parsed.guildId) {
    throw new UserError("This button belongs to another server.");
  }
  const { pair, firstMet } = await recordAnswer(
    ctx.store,
    ctx.clock,
    parsed.guildId,
    parsed.pairId,
    interaction.user.id,
    parsed.answer,
  );
  await interaction.reply({
    content: answerReply(pair, parsed.answer, firstMet, interaction.channelId),
    flags: MessageFlags.Ephemeral,
  });
}
