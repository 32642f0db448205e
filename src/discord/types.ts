import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  Client,
  ClientEvents,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from "discord.js";
import { z } from "zod";
import type { Clock } from "../clock.js";
import type { Config } from "../config.js";
import type { Jobs } from "../jobs.js";
import type { Logger } from "../log.js";
import type { Store } from "../store/store.js";
import type { InFlight } from "./inflight.js";

/** What every command and event gets: the bot's services, never globals. */
export interface BotContext {
  readonly config: Config;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly jobs: Jobs;
  readonly client: Client;
  readonly commands: ReadonlyMap<string, Command>;
  readonly inflight: InFlight;
}

export interface Command {
  /** A SlashCommandBuilder (or anything with the same `name`/`toJSON`). */
  data: { name: string; toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody };
  execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<unknown>;
  autocomplete?(interaction: AutocompleteInteraction, ctx: BotContext): Promise<unknown>;
  /** Buttons whose custom_id starts with `<command name>:` are routed here. */
  button?(interaction: ButtonInteraction, ctx: BotContext): Promise<unknown>;
}

export interface Event<K extends keyof ClientEvents = keyof ClientEvents> {
  name: K;
  once?: boolean;
  /**
   * Only events emitted once the client is ready: those of start-up are left to the ready handler. Checked
   * when the event is emitted (a handler runs a tick later, when the client may have become ready since).
   */
  afterReady?: boolean;
  execute(ctx: BotContext, ...args: ClientEvents[K]): Promise<unknown> | unknown;
}

/** Declares an event module with its argument types checked against discord.js's `ClientEvents`. */
export function defineEvent<K extends keyof ClientEvents>(event: Event<K>): Event<K> {
  return event;
}

/** The shape the loader checks at start, so a malformed module stops start-up with its file named. */
export const CommandModuleSchema = z.object({
  data: z.object({
    name: z.string().regex(/^[-_a-z0-9]{1,32}$/, "must be 1–32 lowercase letters, digits, - or _"),
    toJSON: z.function(),
  }),
  execute: z.function(),
  autocomplete: z.function().optional(),
  button: z.function().optional(),
});

export const EventModuleSchema = z.object({
  name: z.string().min(1),
  once: z.boolean().optional(),
  afterReady: z.boolean().optional(),
  execute: z.function(),
});
