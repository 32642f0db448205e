// Users' interactions for the local Discord test server: building realistic INTERACTION_CREATE payloads
// (slash commands, autocomplete, buttons/selects, modal submits), tracking what the bot answered, and the
// handles tests await (`callback`, `reply()`, `followups()`, `autocompleteChoices()`).
import { randomBytes } from "node:crypto";
import type { APIGuildMember, APIUser } from "discord.js";
import {
  ALL_PERMISSIONS,
  FIXTURE_IDS,
  type JsonObject,
  MEMBER_PERMISSIONS,
  NEXUS_CHANNEL_NAME,
  snowflake,
  toApiUser,
  type UserSpec,
} from "./discord-fixtures.js";
import type { RecordedRequest } from "./discord-http.js";
import {
  ADMINISTRATOR,
  CH,
  type DiscordStore,
  isThreadType,
  type RecordedFile,
  type StoredChannel,
  type StoredGuild,
  type StoredMessage,
} from "./discord-store.js";
import { type InteractionKind, isRecord, type ValidationIssue } from "./discord-validation.js";

// ---------------------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------------------

export type OptionValue = string | number | boolean;

/** An option with an explicit type (ApplicationCommandOptionType): 3 string, 4 integer, 5 boolean, 6 user, … */
export interface TypedOption {
  type: number;
  value: OptionValue;
}

export interface InteractInput {
  /** Defaults to the first guild (none when `channelId` is a DM). */
  guildId?: string;
  /** Defaults to the guild's `prodevprojectnexus` channel, else its first text channel. */
  channelId?: string;
  /** Who interacts: a user, a user spec, or a user id/username known to the server. Default: a normal member. */
  user?: APIUser | UserSpec | string;
  /** The member's permissions in the channel (bitfield). Default: computed from the member's roles. */
  permissions?: string | bigint;
  /** Shortcut: every permission (Administrator, ManageGuild…). Default user becomes the guild owner. */
  admin?: boolean;
  locale?: string;

  // Slash command / autocomplete
  commandName?: string;
  subcommand?: string;
  group?: string;
  /** Option values; types come from the registered command, else are inferred (or pass `{type, value}`). */
  options?: Record<string, OptionValue | TypedOption>;
  /** Makes it an autocomplete interaction (type 4) for this option. */
  focused?: string;

  // Message component
  /** Makes it a component interaction (type 3): the custom_id clicked/selected. */
  customId?: string;
  /** Message carrying the component. Default: the newest message with a component of that custom_id. */
  messageId?: string;
  /** 2 button (default, or the component's own type), 3 string select, 5 user select… */
  componentType?: number;
  /** Selected values (select menus). */
  values?: string[];

  // Modal submit
  /** Makes it a modal submit (type 5). */
  modal?: { customId: string; fields: Record<string, string> };
}

// ---------------------------------------------------------------------------------------------------------
// Records and handles
// ---------------------------------------------------------------------------------------------------------

export interface RecordedCallback {
  /** Callback type (4 message, 5 deferred, 6 deferred update, 7 update, 8 autocomplete, 9 modal). */
  type: number;
  data: JsonObject | undefined;
  files: RecordedFile[];
  /** HTTP status the server answered. */
  status: number;
  /** Discord error code when it failed. */
  code: number | undefined;
  /** Arrived after the acknowledgement deadline (answered 10062). */
  late: boolean;
  /** Milliseconds after the interaction was dispatched. */
  afterMs: number;
  valid: boolean;
  errors: ValidationIssue[];
  request: RecordedRequest;
}

export interface ReplyAttachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  data: Buffer;
  text: string;
}

/** What the user finally sees for an interaction (or one follow-up). */
export interface Reply {
  /** The acknowledging callback type. */
  callbackType: number;
  messageId: string | undefined;
  content: string;
  embeds: JsonObject[];
  components: unknown[];
  flags: number;
  ephemeral: boolean;
  attachments: ReplyAttachment[];
  allowedMentions: unknown;
  wouldPing: boolean;
  /** The message as the API returns it. */
  message: JsonObject | undefined;
  /** Autocomplete results (callback type 8). */
  choices?: Array<{ name: string; value: string | number }>;
  /** The modal shown (callback type 9). */
  modal?: JsonObject;
}

export interface WaitOptions {
  timeoutMs?: number;
}

export interface InteractionHandle {
  id: string;
  token: string;
  /** The INTERACTION_CREATE payload. */
  payload: JsonObject;
  /** The first callback POST (whatever its outcome; `late`/`status` tell). Created lazily on access. */
  readonly callback: Promise<RecordedCallback>;
  /** Every callback attempt so far. */
  callbacks(): RecordedCallback[];
  /**
   * The final visible message: the callback data for type 4/7; for deferred types 5/6 it waits for the
   * edit of @original (or the first follow-up, which Discord uses to replace a deferred response).
   * Rejects when the acknowledgement was late or never came.
   */
  reply(opts?: WaitOptions): Promise<Reply>;
  /** Follow-up messages (not counting one that replaced a deferred response); waits for `atLeast`. */
  followups(opts?: WaitOptions & { atLeast?: number }): Promise<Reply[]>;
  /** Choices of an autocomplete answer (callback type 8). */
  autocompleteChoices(opts?: WaitOptions): Promise<Array<{ name: string; value: string | number }>>;
  /** True once a callback arrived after the deadline. */
  readonly late: boolean;
}

export interface InteractionState {
  id: string;
  token: string;
  kind: InteractionKind;
  guildId: string | null;
  channelId: string;
  user: APIUser;
  commandName: string | undefined;
  payload: JsonObject;
  dispatchedAt: number;
  callbacks: RecordedCallback[];
  acknowledged: RecordedCallback | undefined;
  late: boolean;
  /** Message @original refers to (response message, or the component's message for types 6/7). */
  originalMessageId: string | undefined;
  /** For types 5/6: whether @original has been edited since. */
  originalEdited: boolean;
  followupIds: string[];
  /** The component's message (component interactions). */
  sourceMessageId: string | undefined;
}

interface Waiter {
  check: () => boolean;
  timer: NodeJS.Timeout;
  fail: (error: Error) => void;
}

// ---------------------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------------------

export interface InteractionRegistryOptions {
  ackDeadlineMs: number;
  replyTimeoutMs: number;
  webhookTokenTtlMs: number;
  /** Sent as `attachment_size_limit` (what the server takes per upload): 10 MiB, as Discord's default. */
  attachmentSizeLimit?: number;
}

function interactionToken(id: string): string {
  return `aW50ZXJhY3Rpb246${Buffer.from(id).toString("base64url")}${randomBytes(60).toString("base64url")}`;
}

export class InteractionRegistry {
  readonly states = new Map<string, InteractionState>();
  private readonly byToken = new Map<string, InteractionState>();
  /**
   * Pending waits, by the interaction they wait on: a change to one interaction re-checks only its own
   * (with 1,000 interactions in flight, re-checking every wait on every callback cost the server
   * quadratic time, more for a slower bot, which the interaction bench would charge to that bot).
   */
  private readonly waiters = new Map<InteractionState, Set<Waiter>>();
  private closed = false;

  constructor(
    private readonly store: DiscordStore,
    readonly options: InteractionRegistryOptions,
  ) {}

  get(id: string): InteractionState | undefined {
    return this.states.get(id);
  }

  getByToken(token: string): InteractionState | undefined {
    return this.byToken.get(token);
  }

  /** Builds the payload and the state (the caller dispatches it). */
  create(input: InteractInput): InteractionState {
    const built = buildInteraction(this.store, input, this.options.attachmentSizeLimit);
    const state: InteractionState = {
      ...built,
      dispatchedAt: Date.now(),
      callbacks: [],
      acknowledged: undefined,
      late: false,
      originalMessageId: undefined,
      originalEdited: false,
      followupIds: [],
    };
    this.states.set(state.id, state);
    this.byToken.set(state.token, state);
    return state;
  }

  /** Drops every answered interaction nobody waits on; returns them (see DiscordServer.forgetInteractions). */
  forgetSettled(): InteractionState[] {
    const settled: InteractionState[] = [];
    for (const state of this.states.values()) {
      if (state.acknowledged === undefined || this.waiters.has(state)) continue;
      settled.push(state);
      this.states.delete(state.id);
      this.byToken.delete(state.token);
    }
    return settled;
  }

  /**
   * Re-checks the waiters of `state` after a change to it, or every waiter (no argument) after a change
   * that may concern any interaction, such as a message edited or deleted.
   */
  notify(state?: InteractionState): void {
    const sets = state === undefined ? [...this.waiters.values()] : [this.waiters.get(state)];
    for (const set of sets) if (set !== undefined) for (const waiter of [...set]) waiter.check();
  }

  close(): void {
    this.closed = true;
    const error = new Error("the local Discord server was closed");
    for (const set of [...this.waiters.values()]) for (const waiter of [...set]) waiter.fail(error);
  }

  handle(state: InteractionState): InteractionHandle {
    let callbackPromise: Promise<RecordedCallback> | undefined;
    const defaultTimeout = Math.max(this.options.replyTimeoutMs, this.options.ackDeadlineMs + 2000);
    const waitCallback = (): Promise<RecordedCallback> =>
      this.waitFor(
        state,
        () => state.callbacks[0],
        defaultTimeout,
        () => `no interaction callback for ${describe(state)}`,
      );
    return {
      id: state.id,
      token: state.token,
      payload: state.payload,
      get callback(): Promise<RecordedCallback> {
        callbackPromise ??= waitCallback();
        return callbackPromise;
      },
      callbacks: () => [...state.callbacks],
      reply: (opts = {}) => this.reply(state, opts.timeoutMs ?? defaultTimeout),
      followups: (opts = {}) => {
        const atLeast = opts.atLeast ?? 0;
        return this.waitFor(
          state,
          () => (state.followupIds.length >= atLeast ? this.followupReplies(state) : undefined),
          opts.timeoutMs ?? defaultTimeout,
          () =>
            `expected at least ${atLeast} follow-up(s) for ${describe(state)}, got ${state.followupIds.length}`,
        );
      },
      autocompleteChoices: async (opts = {}) => {
        const reply = await this.reply(state, opts.timeoutMs ?? defaultTimeout);
        if (reply.callbackType !== 8) {
          throw new Error(`${describe(state)} was answered with callback type ${reply.callbackType}, not 8`);
        }
        return reply.choices ?? [];
      },
      get late(): boolean {
        return state.late;
      },
    };
  }

  /**
   * Resolves with the first non-undefined value of `probe`, re-checked on every {@link notify} of `state`
   * (so `probe` may depend only on `state` for being defined).
   */
  waitFor<T>(
    state: InteractionState,
    probe: () => T | undefined,
    timeoutMs: number,
    describeFailure: () => string,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) {
        reject(new Error("the local Discord server was closed"));
        return;
      }
      const waiter: Waiter = {
        check: () => {
          let value: T | undefined;
          try {
            value = probe();
          } catch (error) {
            finish();
            reject(error instanceof Error ? error : new Error(String(error)));
            return true;
          }
          if (value === undefined) return false;
          finish();
          resolve(value);
          return true;
        },
        timer: setTimeout(() => {
          finish();
          reject(new Error(`${describeFailure()} (waited ${timeoutMs} ms)`));
        }, timeoutMs),
        fail: (error) => {
          finish();
          reject(error);
        },
      };
      const finish = (): void => {
        clearTimeout(waiter.timer);
        const set = this.waiters.get(state);
        set?.delete(waiter);
        if (set?.size === 0) this.waiters.delete(state);
      };
      const set = this.waiters.get(state) ?? new Set<Waiter>();
      this.waiters.set(state, set);
      set.add(waiter);
      waiter.check();
    });
  }

  private reply(state: InteractionState, timeoutMs: number): Promise<Reply> {
    return this.waitFor(
      state,
      () => {
        if (state.late && !state.acknowledged) {
          const late = state.callbacks.find((c) => c.late);
          throw new Error(
            `${describe(state)}: the bot acknowledged after ${late?.afterMs ?? "?"} ms, past the ` +
              `${this.options.ackDeadlineMs} ms deadline (Discord answered 10062 Unknown interaction)`,
          );
        }
        const ack = state.acknowledged;
        if (!ack) return undefined;
        switch (ack.type) {
          case 8:
            return { ...emptyReply(8), choices: choicesOf(ack.data) };
          case 9:
            return { ...emptyReply(9), modal: ack.data };
          case 5:
          case 6:
            if (!state.originalEdited) return undefined;
            return this.messageReply(ack.type, state.originalMessageId);
          default:
            return this.messageReply(ack.type, state.originalMessageId);
        }
      },
      timeoutMs,
      () => {
        const attempts = state.callbacks
          .map(
            (c) =>
              `type ${c.type} → ${c.status}${c.code ? ` (${c.code})` : ""}${c.errors.length ? ` ${summarise(c.errors)}` : ""}`,
          )
          .join("; ");
        if (!state.acknowledged)
          return `${describe(state)} was never acknowledged${attempts ? `; attempts: ${attempts}` : ""}`;
        return `${describe(state)} was deferred (type ${state.acknowledged.type}) but @original was never edited`;
      },
    );
  }

  private followupReplies(state: InteractionState): Reply[] {
    const type = state.acknowledged?.type ?? 0;
    return state.followupIds.map((id) => this.messageReply(type, id));
  }

  private messageReply(callbackType: number, messageId: string | undefined): Reply {
    const message = messageId ? this.store.messages.get(messageId) : undefined;
    if (!message) return emptyReply(callbackType);
    return replyFromMessage(this.store, callbackType, message);
  }
}

function summarise(issues: ValidationIssue[]): string {
  return issues.map((i) => `${i.path.join(".")}: ${i.code}`).join(", ");
}

function describe(state: InteractionState): string {
  const what =
    state.kind === "component"
      ? `component interaction on message ${state.sourceMessageId ?? "?"}`
      : state.kind === "modal"
        ? "modal submit"
        : `/${state.commandName ?? "?"}${state.kind === "autocomplete" ? " autocomplete" : ""}`;
  return `interaction ${state.id} (${what})`;
}

function emptyReply(callbackType: number): Reply {
  return {
    callbackType,
    messageId: undefined,
    content: "",
    embeds: [],
    components: [],
    flags: 0,
    ephemeral: false,
    attachments: [],
    allowedMentions: undefined,
    wouldPing: false,
    message: undefined,
  };
}

function choicesOf(data: JsonObject | undefined): Array<{ name: string; value: string | number }> {
  const choices = data?.choices;
  if (!Array.isArray(choices)) return [];
  return choices.flatMap((c) =>
    isRecord(c) && typeof c.name === "string" && (typeof c.value === "string" || typeof c.value === "number")
      ? [{ name: c.name, value: c.value }]
      : [],
  );
}

export function replyFromMessage(store: DiscordStore, callbackType: number, message: StoredMessage): Reply {
  const data = store.messagePayload(message);
  const flags = typeof data.flags === "number" ? data.flags : 0;
  const attachments = Array.isArray(data.attachments) ? data.attachments : [];
  return {
    callbackType,
    messageId: message.id,
    content: typeof data.content === "string" ? data.content : "",
    embeds: Array.isArray(data.embeds) ? data.embeds.filter(isRecord) : [],
    components: Array.isArray(data.components) ? data.components : [],
    flags,
    ephemeral: (flags & 64) !== 0,
    attachments: attachments.filter(isRecord).map((a) => {
      const id = typeof a.id === "string" ? a.id : "";
      const file = message.files.get(id);
      return {
        id,
        filename: typeof a.filename === "string" ? a.filename : "",
        contentType: typeof a.content_type === "string" ? a.content_type : (file?.contentType ?? ""),
        size: typeof a.size === "number" ? a.size : (file?.size ?? 0),
        data: file?.data ?? Buffer.alloc(0),
        text: file?.text ?? "",
      };
    }),
    allowedMentions: message.allowedMentions,
    wouldPing: message.wouldPing,
    message: data,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Payload building
// ---------------------------------------------------------------------------------------------------------

type BuiltInteraction = Pick<
  InteractionState,
  "id" | "token" | "kind" | "guildId" | "channelId" | "user" | "commandName" | "payload" | "sourceMessageId"
>;

const SNOWFLAKE = /^\d{15,21}$/;

function findUser(store: DiscordStore, guild: StoredGuild | undefined, ref: string): APIUser {
  if (SNOWFLAKE.test(ref)) {
    const user = store.users.get(ref);
    if (!user) throw new Error(`interact: unknown user id ${ref}`);
    return user;
  }
  const pool = guild ? [...guild.members.values()].map((m) => m.user) : [...store.users.values()];
  const user = pool.find((u) => u.username === ref || u.global_name === ref);
  if (!user) throw new Error(`interact: no user named ${ref}${guild ? ` in guild ${guild.id}` : ""}`);
  return user;
}

function resolveInvoker(store: DiscordStore, guild: StoredGuild | undefined, input: InteractInput): APIUser {
  if (typeof input.user === "string") return findUser(store, guild, input.user);
  if (input.user) return store.rememberUser(toApiUser(input.user));
  if (!guild) return findUser(store, undefined, FIXTURE_IDS.memberId);
  if (input.admin) {
    const owner = guild.members.get(guild.ownerId)?.user;
    if (owner) return owner;
  }
  const preferred = guild.members.get(FIXTURE_IDS.memberId);
  if (preferred) return preferred.user;
  const ordinary = [...guild.members.values()].find(
    (m) => m.user.id !== store.botId && m.user.id !== guild.ownerId && !m.user.bot,
  );
  if (ordinary) return ordinary.user;
  const user = store.rememberUser(toApiUser({ username: "member", globalName: "Member" }));
  store.addMember(guild.id, user);
  return user;
}

function defaultChannel(store: DiscordStore, guild: StoredGuild): StoredChannel {
  const channels = store.guildChannels(guild.id).filter((c) => c.type === CH.text);
  const channel = channels.find((c) => c.data.name === NEXUS_CHANNEL_NAME) ?? channels[0];
  if (!channel) throw new Error(`interact: guild ${guild.id} has no text channel`);
  return channel;
}

function memberPayload(member: APIGuildMember, permissions: bigint, withUser: boolean): JsonObject {
  const out: JsonObject = { ...structuredClone(member), permissions: permissions.toString() };
  if (!withUser) delete out.user;
  return out;
}

function channelPayloadFor(store: DiscordStore, channel: StoredChannel, permissions: bigint): JsonObject {
  return { ...store.channelPayload(channel), permissions: permissions.toString() };
}

interface OptionSchema {
  type: number;
  name: string;
  required: boolean;
  choices: unknown[] | undefined;
  options: OptionSchema[];
}

function toSchema(raw: unknown): OptionSchema[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isRecord).map((o) => ({
    type: typeof o.type === "number" ? o.type : 3,
    name: typeof o.name === "string" ? o.name : "",
    required: o.required === true,
    choices: Array.isArray(o.choices) ? o.choices : undefined,
    options: toSchema(o.options),
  }));
}

function inferType(value: OptionValue): number {
  if (typeof value === "boolean") return 5;
  if (typeof value === "number") return Number.isInteger(value) ? 4 : 10;
  return 3;
}

function coerce(name: string, type: number, value: OptionValue, focused: boolean): OptionValue {
  if (focused) return String(value);
  switch (type) {
    case 4:
    case 10: {
      const n = typeof value === "number" ? value : Number(value);
      if (!Number.isFinite(n) || (type === 4 && !Number.isInteger(n))) {
        throw new Error(
          `interact: option ${name} needs ${type === 4 ? "an integer" : "a number"}, got ${String(value)}`,
        );
      }
      return n;
    }
    case 5:
      if (typeof value === "boolean") return value;
      if (value === "true" || value === "false") return value === "true";
      throw new Error(`interact: option ${name} needs a boolean, got ${String(value)}`);
    default:
      return String(value);
  }
}

function buildCommandOptions(
  store: DiscordStore,
  guild: StoredGuild | undefined,
  channel: StoredChannel,
  input: InteractInput,
  registered: JsonObject | undefined,
  resolved: { users: JsonObject; members: JsonObject; channels: JsonObject; roles: JsonObject },
): JsonObject[] {
  let schema = registered ? toSchema(registered.options) : undefined;
  const commandName = input.commandName ?? "";
  const path: string[] = [];
  if (input.group !== undefined) {
    const group = schema?.find((o) => o.type === 2 && o.name === input.group);
    if (schema && !group) throw new Error(`interact: /${commandName} has no subcommand group ${input.group}`);
    schema = group?.options;
    path.push(input.group);
  }
  if (input.subcommand !== undefined) {
    const sub = schema?.find((o) => o.type === 1 && o.name === input.subcommand);
    if (schema && !sub)
      throw new Error(`interact: /${[commandName, ...path].join(" ")} has no subcommand ${input.subcommand}`);
    schema = sub?.options;
  } else if (schema?.some((o) => o.type === 1 || o.type === 2)) {
    throw new Error(`interact: /${commandName} needs a subcommand`);
  }
  const autocomplete = input.focused !== undefined;
  const values: JsonObject[] = [];
  for (const [name, raw] of Object.entries(input.options ?? {})) {
    const explicit = typeof raw === "object" ? raw : undefined;
    const value: OptionValue = typeof raw === "object" ? raw.value : raw;
    const def = schema?.find((o) => o.name === name);
    if (schema && !def) throw new Error(`interact: /${commandName} has no option ${name}`);
    const type = explicit?.type ?? def?.type ?? inferType(value);
    const focused = input.focused === name;
    const coerced = coerce(name, type, value, focused);
    if (!focused && def?.choices && !def.choices.some((c) => isRecord(c) && c.value === coerced)) {
      throw new Error(`interact: ${String(coerced)} is not one of the choices of option ${name}`);
    }
    const option: JsonObject = { name, type, value: coerced };
    if (focused) option.focused = true;
    if (!focused) resolveOptionValue(store, guild, channel, type, String(coerced), resolved);
    values.push(option);
  }
  if (autocomplete && !values.some((o) => o.focused === true)) {
    values.push({ name: input.focused ?? "", type: 3, value: "", focused: true });
  }
  if (schema && !autocomplete) {
    for (const def of schema) {
      if (def.required && !(def.name in (input.options ?? {}))) {
        throw new Error(`interact: /${commandName} needs option ${def.name}`);
      }
    }
  }
  let options: JsonObject[] = values;
  if (input.subcommand !== undefined) options = [{ name: input.subcommand, type: 1, options }];
  if (input.group !== undefined) options = [{ name: input.group, type: 2, options }];
  return options;
}

function resolveOptionValue(
  store: DiscordStore,
  guild: StoredGuild | undefined,
  channel: StoredChannel,
  type: number,
  value: string,
  resolved: { users: JsonObject; members: JsonObject; channels: JsonObject; roles: JsonObject },
): void {
  if (type === 6 || type === 9) {
    const user = type === 9 && !store.users.has(value) ? undefined : findUser(store, guild, value);
    if (user) {
      resolved.users[user.id] = user;
      const member = guild?.members.get(user.id);
      if (member && guild)
        resolved.members[user.id] = memberPayload(member, store.permissionsIn(channel.id, user.id), false);
      return;
    }
  }
  if (type === 7) {
    const target = store.channels.get(value);
    if (!target) throw new Error(`interact: unknown channel ${value}`);
    const out: JsonObject = {
      id: target.id,
      name: target.data.name ?? null,
      type: target.type,
      permissions: store.permissionsIn(target.id, store.botId).toString(),
      parent_id: target.data.parent_id ?? null,
    };
    if (isThreadType(target.type)) out.thread_metadata = target.data.thread_metadata;
    resolved.channels[target.id] = out;
    return;
  }
  if (type === 8 || type === 9) {
    const role = guild?.roles.find((r) => r.id === value);
    if (!role) throw new Error(`interact: unknown role ${value}`);
    resolved.roles[role.id] = role;
  }
}

function componentOf(message: StoredMessage, customId: string): JsonObject | undefined {
  let found: JsonObject | undefined;
  const walk = (node: unknown): void => {
    if (found || !isRecord(node)) return;
    if (node.custom_id === customId) {
      found = node;
      return;
    }
    if (Array.isArray(node.components)) for (const child of node.components) walk(child);
    if (isRecord(node.accessory)) walk(node.accessory);
  };
  const components = message.data.components;
  if (Array.isArray(components)) for (const c of components) walk(c);
  return found;
}

function findComponentMessage(store: DiscordStore, input: InteractInput, customId: string): StoredMessage {
  if (input.messageId) {
    const message = store.messages.get(input.messageId);
    if (!message || message.deleted) throw new Error(`interact: unknown message ${input.messageId}`);
    return message;
  }
  const all = [...store.messages.values()].filter(
    (m) => !m.deleted && (input.channelId === undefined || m.channelId === input.channelId),
  );
  for (let i = all.length - 1; i >= 0; i--) {
    const message = all[i];
    if (message && componentOf(message, customId)) return message;
  }
  throw new Error(`interact: no message has a component with custom_id ${customId}`);
}

export function buildInteraction(
  store: DiscordStore,
  input: InteractInput,
  attachmentSizeLimit = 10 * 1024 * 1024,
): BuiltInteraction {
  const id = snowflake();
  const token = interactionToken(id);
  let kind: InteractionKind = "command";
  if (input.customId !== undefined) kind = "component";
  else if (input.modal) kind = "modal";
  else if (input.focused !== undefined) kind = "autocomplete";

  let sourceMessage: StoredMessage | undefined;
  if (kind === "component") sourceMessage = findComponentMessage(store, input, input.customId ?? "");

  const channelId = sourceMessage?.channelId ?? input.channelId;
  let channel = channelId ? store.channels.get(channelId) : undefined;
  if (channelId && !channel) throw new Error(`interact: unknown channel ${channelId}`);
  let guild: StoredGuild | undefined;
  if (channel) {
    guild = channel.guildId ? store.guilds.get(channel.guildId) : undefined;
  } else {
    guild = input.guildId ? store.guilds.get(input.guildId) : [...store.guilds.values()][0];
    if (!guild) throw new Error(`interact: unknown guild ${input.guildId ?? "(none registered)"}`);
    channel = defaultChannel(store, guild);
  }

  const user = resolveInvoker(store, guild, input);
  let memberPerms: bigint;
  if (input.permissions !== undefined) memberPerms = BigInt(input.permissions);
  else if (input.admin) memberPerms = ALL_PERMISSIONS;
  else if (guild)
    memberPerms = guild.members.has(user.id) ? store.permissionsIn(channel.id, user.id) : MEMBER_PERMISSIONS;
  else memberPerms = MEMBER_PERMISSIONS;

  const payload: JsonObject = {
    id,
    application_id: store.app.id,
    type: 2,
    token,
    version: 1,
    channel_id: channel.id,
    app_permissions: store.botPermissionsIn(channel.id).toString(),
    locale: input.locale ?? "en-US",
    entitlements: [],
    attachment_size_limit: attachmentSizeLimit,
  };
  if (guild) {
    let member = guild.members.get(user.id);
    if (!member) {
      member = store.addMember(guild.id, user);
    }
    if (input.admin && user.id !== guild.ownerId) {
      const adminRole = guild.roles.find(
        (r) => r.id !== guild.id && (BigInt(r.permissions) & (ADMINISTRATOR | (1n << 5n))) !== 0n,
      );
      if (adminRole && !member.roles.includes(adminRole.id))
        member = { ...member, roles: [...member.roles, adminRole.id] };
    }
    payload.guild_id = guild.id;
    payload.guild = { id: guild.id, locale: guild.preferredLocale, features: [] };
    payload.guild_locale = guild.preferredLocale;
    payload.member = memberPayload(member, memberPerms, true);
    payload.channel = channelPayloadFor(store, channel, memberPerms);
    payload.authorizing_integration_owners = { "0": guild.id };
    payload.context = 0;
  } else {
    payload.user = user;
    payload.channel = channelPayloadFor(store, channel, memberPerms);
    payload.authorizing_integration_owners = { "0": "0" };
    payload.context = 1;
  }

  let commandName: string | undefined;
  if (kind === "command" || kind === "autocomplete") {
    commandName = input.commandName;
    if (!commandName) throw new Error("interact: commandName is required for a command or autocomplete");
    const registered = store.findCommand(commandName, guild?.id ?? null);
    const resolved = { users: {}, members: {}, channels: {}, roles: {} };
    const options = buildCommandOptions(store, guild, channel, input, registered?.data, resolved);
    const data: JsonObject = {
      id: registered?.id ?? snowflake(),
      name: commandName,
      type: 1,
    };
    if (registered?.guildId) data.guild_id = registered.guildId;
    if (options.length > 0) data.options = options;
    const hasResolved = Object.values(resolved).some((bag) => Object.keys(bag).length > 0);
    if (hasResolved) {
      data.resolved = Object.fromEntries(
        Object.entries(resolved).filter(([, bag]) => Object.keys(bag).length > 0),
      );
    }
    payload.type = kind === "autocomplete" ? 4 : 2;
    payload.data = data;
  } else if (kind === "component" && sourceMessage) {
    const customId = input.customId ?? "";
    const component = componentOf(sourceMessage, customId);
    const componentType = input.componentType ?? (typeof component?.type === "number" ? component.type : 2);
    const data: JsonObject = { custom_id: customId, component_type: componentType };
    if (componentType !== 2) data.values = input.values ?? [];
    payload.type = 3;
    payload.data = data;
    payload.message = store.messagePayload(sourceMessage);
  } else if (kind === "modal" && input.modal) {
    payload.type = 5;
    payload.data = {
      custom_id: input.modal.customId,
      components: Object.entries(input.modal.fields).map(([customId, value]) => ({
        type: 1,
        components: [{ type: 4, custom_id: customId, value }],
      })),
    };
  }

  return {
    id,
    token,
    kind,
    guildId: guild?.id ?? null,
    channelId: channel.id,
    user,
    commandName,
    payload,
    sourceMessageId: sourceMessage?.id,
  };
}
