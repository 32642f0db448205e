// The echo floor's answers (bench/interaction-bot.ts, BENCH_MODE=echo): Nexus's recorded answers turned
// back into the options of `reply()`, so plain discord.js builds and sends the same message body.
import type { APIAllowedMentions, InteractionReplyOptions } from "discord.js";

/**
 * A recorded callback's message data as the options Nexus passed to `reply()`: embeds and components as
 * JSON-encodable objects (discord.js calls their `toJSON()`, as for Nexus's own), the rest camel-cased.
 */
export function replyOptions(data: Record<string, unknown>): InteractionReplyOptions {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    // What discord.js adds to every message body by itself.
    if (key === "tts" || key === "enforce_nonce" || key === "nonce") continue;
    if (key === "attachments" && Array.isArray(value) && value.length === 0) continue;
    if (key === "content" || key === "flags") options[key] = value;
    else if (key === "embeds" || key === "components") {
      options[key] = (value as unknown[]).map((json) => ({ toJSON: () => json }));
    } else if (key === "allowed_mentions") {
      const { replied_user, ...rest } = value as APIAllowedMentions;
      options.allowedMentions = {
        ...rest,
        ...(replied_user === undefined ? {} : { repliedUser: replied_user }),
      };
    } else throw new Error(`echo: an answer with "${key}" is not supported`);
  }
  return options as InteractionReplyOptions;
}

/** Which recorded answers an interaction gets: its command and subcommand ("learn search"). */
export function commandKey(commandName: string, subcommand: string | null | undefined): string {
  return subcommand ? `${commandName} ${subcommand}` : commandName;
}
