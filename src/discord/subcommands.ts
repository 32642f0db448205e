import type { AutocompleteInteraction, ChatInputCommandInteraction } from "discord.js";
import { TOPICS } from "../topics.js";
import { rankChoices } from "./autocomplete.js";
import { UserError } from "./errors.js";
import type { BotContext } from "./types.js";

export type SubcommandHandler = (
  interaction: ChatInputCommandInteraction,
  ctx: BotContext,
) => Promise<unknown>;

/** A command's `execute` that dispatches on the subcommand through a table (no if-chains). */
export function bySubcommand(
  handlers: Record<string, SubcommandHandler>,
): (interaction: ChatInputCommandInteraction, ctx: BotContext) => Promise<void> {
  return async (interaction, ctx) => {
    const handler = handlers[interaction.options.getSubcommand()];
    if (handler === undefined) throw new UserError("Unknown subcommand.");
    await handler(interaction, ctx);
  };
}

/** Autocomplete for commands whose only autocompleted option is `topic` (the curated topic list). */
export async function topicAutocomplete(interaction: AutocompleteInteraction): Promise<void> {
  const focused = interaction.options.getFocused(true);
  await interaction.respond(focused.name === "topic" ? rankChoices(TOPICS, String(focused.value)) : []);
}
