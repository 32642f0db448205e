import {
  type APIApplicationCommand,
  DiscordAPIError,
  type REST,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  Routes,
} from "discord.js";
import { z } from "zod";
import type { Logger } from "../log.js";
import type { Store } from "../store/store.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const OPTION_DEFAULTS: Record<string, Json> = {
  required: false,
  autocomplete: false,
  name_localizations: null,
  description_localizations: null,
};

const COMMAND_DEFAULTS: Record<string, Json> = {
  type: 1,
  nsfw: false,
  default_member_permissions: null,
  name_localizations: null,
  description_localizations: null,
  integration_types: [0],
  contexts: null,
  dm_permission: true,
};

/** Fields Discord adds to what it returns that the bot never sends. */
const SERVER_ONLY = new Set(["id", "application_id", "guild_id", "version", "handler"]);

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function normaliseOption(option: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(option)) {
    if (value === undefined) continue;
    if (key === "options" && Array.isArray(value)) {
      out.options = value.filter(isObject).map(normaliseOption);
    } else if (key === "channel_types" && Array.isArray(value)) {
      out.channel_types = [...value].sort();
    } else if (key === "choices" && Array.isArray(value)) {
      out.choices = value
        .filter(isObject)
        .map((choice) => withoutDefaults(choice, { name_localizations: null }));
    } else {
      out[key] = value;
    }
  }
  if (Array.isArray(out.options) && out.options.length === 0) delete out.options;
  if (Array.isArray(out.choices) && out.choices.length === 0) delete out.choices;
  return withoutDefaults(out, OPTION_DEFAULTS);
}

function withoutDefaults(object: JsonObject, defaults: Record<string, Json>): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(object).sort()) {
    const value = object[key];
    if (value === undefined) continue;
    const fallback = defaults[key];
    const isEmptyMap = isObject(value) && Object.keys(value).length === 0 && fallback === null;
    if (key in defaults && (JSON.stringify(value) === JSON.stringify(fallback) || isEmptyMap)) continue;
    out[key] = value;
  }
  return out;
}

/**
 * One command in a canonical form: Discord's defaults removed (it returns `nsfw: false`,
 * `integration_types`, `contexts`, empty localisations… that builder JSON leaves out), server-only
 * fields dropped, keys sorted. Both sides go through this before they are compared.
 */
export function normaliseCommand(command: object): JsonObject {
  const source = JSON.parse(JSON.stringify(command)) as JsonObject;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(source)) {
    if (SERVER_ONLY.has(key)) continue;
    if (key === "options" && Array.isArray(value)) out.options = value.filter(isObject).map(normaliseOption);
    else if (key === "default_member_permissions" && value !== null) out[key] = String(value);
    else if ((key === "integration_types" || key === "contexts") && Array.isArray(value))
      out[key] = [...value].sort();
    else out[key] = value;
  }
  if (Array.isArray(out.options) && out.options.length === 0) delete out.options;
  // Discord derives dm_permission from contexts when contexts are set; compare contexts only then.
  if (Array.isArray(out.contexts)) delete out.dm_permission;
  return withoutDefaults(out, COMMAND_DEFAULTS);
}

/** True when the registered commands differ from the local definitions in anything that matters. */
export function commandsDiffer(local: readonly object[], remote: readonly object[]): boolean {
  const canon = (list: readonly object[]) =>
    JSON.stringify(list.map(normaliseCommand).sort((a, b) => String(a.name).localeCompare(String(b.name))));
  return canon(local) !== canon(remote);
}

export type SyncResult = { changed: boolean; scope: "guild" | "global"; count: number };

/**
 * Where the commands were last registered: the DEV_GUILD_ID server, or everywhere (`guildId: null`).
 * Discord keeps a server's commands and the global ones side by side, so a scope left behind would list
 * every command twice, never updated; this record says which one to clear when the scope changes.
 */
export const RegistrationSchema = z.object({ guildId: z.string().regex(/^\d+$/).nullable() });
export const registrationKey = "app:registration";

/**
 * Makes the registered commands equal to `commands`: reads what Discord has and overwrites (one bulk
 * PUT) only when they differ, so restarts do not spend Discord's daily command-create budget. When the
 * scope changed since the last registration, the commands of the server registered before are removed.
 * Global ones are never removed for a DEV_GUILD_ID (that would take them from every server): a warning
 * says so.
 */
export async function syncCommands(
  rest: REST,
  applicationId: string,
  commands: RESTPostAPIChatInputApplicationCommandsJSONBody[],
  options: { guildId?: string | undefined; logger: Logger; store: Store },
): Promise<SyncResult> {
  const { logger } = options;
  const guildId = options.guildId ?? null;
  return options.store.locked("global", async (store) => {
    const previous = await store.get(registrationKey, RegistrationSchema);
    const result = await overwrite(rest, applicationId, commands, options);
    if (previous?.guildId === guildId) return result;
    if (previous?.guildId === null) {
      logger.warn(
        { guild: guildId },
        "commands were registered globally before: they stay (removing them would take them from every " +
          "server), so this server lists each command twice until DEV_GUILD_ID is unset",
      );
    } else if (previous !== undefined) {
      await clearGuild(rest, applicationId, previous.guildId, logger);
    }
    await store.set(registrationKey, RegistrationSchema, { guildId });
    return result;
  });
}

/** Removes the commands registered in a server before (a DEV_GUILD_ID since changed or unset). */
async function clearGuild(rest: REST, applicationId: string, guildId: string, logger: Logger): Promise<void> {
  try {
    await rest.put(Routes.applicationGuildCommands(applicationId, guildId), { body: [] });
    logger.info({ guild: guildId }, "commands removed from the server they were registered in before");
  } catch (error) {
    // The bot was removed from that server, or it is gone: it cannot be cleared from here, so it is
    // forgotten. Anything else fails the registration (the record is kept), which the next start retries.
    if (!(error instanceof DiscordAPIError && (error.status === 403 || error.status === 404))) throw error;
    logger.warn({ guild: guildId, err: error }, "could not remove the commands of the server used before");
  }
}

async function overwrite(
  rest: REST,
  applicationId: string,
  commands: RESTPostAPIChatInputApplicationCommandsJSONBody[],
  options: { guildId?: string | undefined; logger: Logger },
): Promise<SyncResult> {
  const route =
    options.guildId === undefined
      ? Routes.applicationCommands(applicationId)
      : Routes.applicationGuildCommands(applicationId, options.guildId);
  const scope = options.guildId === undefined ? "global" : "guild";
  const remote = (await rest.get(route)) as APIApplicationCommand[];
  const chatInputRemote = remote.filter((command) => (command.type ?? 1) === 1);
  const others = remote.filter((command) => (command.type ?? 1) !== 1);
  if (others.length === 0 && !commandsDiffer(commands, chatInputRemote)) {
    options.logger.info({ scope, count: commands.length }, "commands already up to date");
    return { changed: false, scope, count: commands.length };
  }
  await rest.put(route, { body: commands });
  options.logger.info({ scope, count: commands.length }, "commands registered");
  return { changed: true, scope, count: commands.length };
}
