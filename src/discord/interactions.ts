import { randomBytes } from "node:crypto";
import {
  ApplicationCommandOptionType,
  AttachmentBuilder,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type CommandInteractionOption,
  DiscordAPIError,
  type Interaction,
  type InteractionReplyOptions,
  MessageFlags,
  type PermissionResolvable,
  RESTJSONErrorCodes,
} from "discord.js";
import { UserError } from "./errors.js";
import { charLength, LIMITS, truncate } from "./text.js";
import type { BotContext, Command } from "./types.js";

/** The one place interactions are routed and their errors turned into replies. */
export async function handleInteraction(
  interaction: Interaction,
  ctx: BotContext,
  commands: ReadonlyMap<string, Command>,
): Promise<void> {
  if (interaction.isAutocomplete()) {
    await handleAutocomplete(interaction, ctx, commands);
    return;
  }
  if (interaction.isButton()) {
    await handleButton(interaction, ctx, commands);
    return;
  }
  if (!interaction.isChatInputCommand()) return;
  const command = commands.get(interaction.commandName);
  // Made only when there is something to log: most interactions log nothing at the default level.
  const log = () =>
    ctx.logger.child({
      interaction: interaction.id,
      command: commandPath(interaction),
      guild: interaction.guildId,
      user: interaction.user.id,
    });
  try {
    if (command === undefined)
      throw new UserError("This command is not available any more. Try again in a minute.");
    await command.execute(interaction, ctx);
    if (ctx.logger.isLevelEnabled("debug")) log().debug("handled");
  } catch (error) {
    await replyWithError(interaction, error, log());
  }
}

/** Buttons carry `<command>:<action>:…` custom ids; the named command's `button` handles them. */
async function handleButton(
  interaction: ButtonInteraction,
  ctx: BotContext,
  commands: ReadonlyMap<string, Command>,
): Promise<void> {
  const owner = commands.get(interaction.customId.split(":")[0] ?? "");
  const log = ctx.logger.child({
    interaction: interaction.id,
    button: interaction.customId,
    user: interaction.user.id,
  });
  try {
    if (owner?.button === undefined) throw new UserError("This button no longer does anything.");
    await owner.button(interaction, ctx);
  } catch (error) {
    await replyWithError(interaction, error, log);
  }
}

async function handleAutocomplete(
  interaction: AutocompleteInteraction,
  ctx: BotContext,
  commands: ReadonlyMap<string, Command>,
): Promise<void> {
  const command = commands.get(interaction.commandName);
  try {
    if (command?.autocomplete === undefined) {
      await interaction.respond([]);
      return;
    }
    await command.autocomplete(interaction, ctx);
  } catch (error) {
    ctx.logger.warn({ err: error, command: interaction.commandName }, "autocomplete failed");
    if (!interaction.responded) await interaction.respond([]).catch(() => undefined);
  }
}

function commandPath(interaction: ChatInputCommandInteraction): string {
  const group = interaction.options.getSubcommandGroup(false);
  const sub = interaction.options.getSubcommand(false);
  return [interaction.commandName, group, sub].filter(Boolean).join(" ");
}

function isGoneInteraction(error: unknown): boolean {
  return (
    error instanceof DiscordAPIError &&
    (error.code === RESTJSONErrorCodes.UnknownInteraction ||
      error.code === RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged)
  );
}

async function replyWithError(
  interaction: ChatInputCommandInteraction | ButtonInteraction,
  error: unknown,
  log: BotContext["logger"],
): Promise<void> {
  let content: string;
  if (error instanceof UserError) {
    content = error.message;
    log.info({ reason: error.message }, "refused");
  } else if (isGoneInteraction(error)) {
    log.warn({ err: error }, "interaction expired before it was answered");
    return;
  } else {
    const ref = randomBytes(4).toString("hex");
    content = `Something went wrong on our side (ref \`${ref}\`). It has been logged; please try again.`;
    log.error({ err: error, ref }, "command failed");
  }
  const back = interaction.isChatInputCommand() ? giveBack(interaction, content) : { content, files: [] };
  try {
    if (interaction.deferred && !interaction.replied) {
      if (interaction.ephemeral) {
        await interaction.editReply({ ...back, embeds: [], components: [] });
      } else {
        await interaction.deleteReply().catch(() => undefined);
        await interaction.followUp({ ...back, flags: MessageFlags.Ephemeral });
      }
    } else if (interaction.replied) {
      await interaction.followUp({ ...back, flags: MessageFlags.Ephemeral });
    } else {
      await interaction.reply({ ...back, flags: MessageFlags.Ephemeral });
    }
  } catch (replyError) {
    log.warn({ err: replyError }, "could not deliver the error reply");
  }
}

export const RESTARTING = "Nexus is restarting; try again in a few seconds.";

/**
 * The answer to an interaction that arrives while the bot drains for shutdown: commands and buttons alike (a
 * pair's "did you meet?"), with a command's long typed text given back as with any refusal. Autocomplete
 * cannot be told, and is left.
 */
export async function replyRestarting(interaction: Interaction): Promise<void> {
  if (!interaction.isRepliable()) return;
  const back = interaction.isChatInputCommand()
    ? giveBack(interaction, RESTARTING)
    : { content: RESTARTING, files: [] };
  await interaction.reply({ ...back, flags: MessageFlags.Ephemeral }).catch(() => undefined);
}

/** A typed text this long is given back when its command fails (shorter ones are quick to type again). */
export const GIVE_BACK_MIN_CHARS = 80;

/** Every string option of a command, subcommands included. */
function stringOptions(options: readonly CommandInteractionOption[]): Array<{ name: string; value: string }> {
  return options.flatMap((option) =>
    option.type === ApplicationCommandOptionType.String && typeof option.value === "string"
      ? [{ name: option.name, value: option.value }]
      : stringOptions(option.options ?? []),
  );
}

/**
 * A refused or failed command loses what the member typed (Discord does not fill a slash command in
 * again), so its long texts come back with the error: in code blocks when they fit in one message, else
 * as a text file. Code blocks show mentions as text and keep the text exact, for copying.
 */
function giveBack(
  interaction: ChatInputCommandInteraction,
  message: string,
): { content: string; files: AttachmentBuilder[] } {
  const typed = stringOptions(interaction.options.data);
  if (!typed.some(({ value }) => charLength(value) >= GIVE_BACK_MIN_CHARS))
    return { content: message, files: [] };
  const inline = [
    message,
    "",
    "What you typed, to use again:",
    ...typed.map(({ name, value }) => `**${name}**\n\`\`\`\n${value}\n\`\`\``),
  ].join("\n");
  if (charLength(inline) <= LIMITS.content && !typed.some(({ value }) => value.includes("```"))) {
    return { content: inline, files: [] };
  }
  const file = typed.map(({ name, value }) => `${name}:\n${value}\n`).join("\n");
  return {
    content: truncate(`${message}\n\nWhat you typed is in the file below, to use again.`, LIMITS.content),
    files: [new AttachmentBuilder(Buffer.from(file, "utf8"), { name: "what-you-typed.txt" })],
  };
}

/**
 * Acknowledges with `reply`, then runs `after` (the posts that show a change already stored) whether or not
 * the reply reached Discord: a command that waited past the 3 s deadline (its guild's lock busy, a slow
 * store) must not leave a stored answer unposted or an accepted question unmarked. A failed reply is
 * rethrown once `after` has run, for the one error path (which logs an expired interaction).
 */
export async function replyThen<T>(
  interaction: ChatInputCommandInteraction,
  reply: InteractionReplyOptions,
  after: () => Promise<T>,
): Promise<T> {
  const failed = await interaction.reply(reply).then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
  const result = await after();
  if (failed !== undefined) throw failed.error;
  return result;
}

/** The guild an interaction came from, or a UserError for DMs. */
export function requireGuild(interaction: ChatInputCommandInteraction | AutocompleteInteraction): string {
  if (interaction.guildId === null)
    throw new UserError("This command works in a server, not in direct messages.");
  return interaction.guildId;
}

/**
 * Checks a permission at run time, whatever Discord's default member permission says (a server can
 * override those in Integrations settings, and the check must hold anyway).
 */
export function requirePermission(
  interaction: ChatInputCommandInteraction,
  permission: PermissionResolvable,
  label: string,
): void {
  if (!interaction.memberPermissions?.has(permission)) {
    throw new UserError(`You need the **${label}** permission to use this command.`);
  }
}
