// A local, in-process Discord for tests: HTTP (REST under /api/v10) + WebSocket gateway on 127.0.0.1 that the
// real discord.js Client logs into with `rest: { api: server.apiUrl }`. Nothing ever contacts discord.com.
//
//   const server = await startDiscordServer();
//   const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: server.apiUrl } });
//   await client.login(server.token);
//   const handle = server.interact({ commandName: "learn", subcommand: "log", options: { text: "hi" } });
//   expect((await handle.reply()).content).toContain("hi");
//   await client.destroy(); await server.close();
//
// Parts: discord-store (state), discord-gateway (WebSocket), discord-http (plumbing, recording, faults),
// discord-rest + discord-rest-interactions (routes), discord-messages, discord-interactions, discord-validation.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGuildMember, APIUser } from "discord.js";
import {
  type ChannelSpec,
  defaultGuildSpec,
  type GuildSpec,
  type JsonObject,
  type PermissionKey,
  toApiUser,
  type UserSpec,
} from "./discord-fixtures.js";
import { DiscordGateway, type GatewaySession, INTENTS, onShard } from "./discord-gateway.js";
import {
  type FaultConfig,
  HttpFrontend,
  RateLimiter,
  type RateLimitOptions,
  type RecordedRequest,
  Router,
  seededRandom,
} from "./discord-http.js";
import { type InteractInput, type InteractionHandle, InteractionRegistry } from "./discord-interactions.js";
import {
  deleteChannelAndDispatch,
  type ResolvedServerOptions,
  type RestCore,
  registerRestRoutes,
} from "./discord-rest.js";
import { registerInteractionRoutes } from "./discord-rest-interactions.js";
import { DiscordStore, isThreadType, type StoredChannel } from "./discord-store.js";
import { isRecord } from "./discord-validation.js";

export type { ChannelSpec, GuildSpec, JsonObject, UserSpec } from "./discord-fixtures.js";
export { FIXTURE_IDS, NEXUS_CHANNEL_NAME } from "./discord-fixtures.js";
export type { FaultConfig, RecordedRequest } from "./discord-http.js";
export type {
  InteractInput,
  InteractionHandle,
  RecordedCallback,
  Reply,
  ReplyAttachment,
} from "./discord-interactions.js";
export type { RecordedFile } from "./discord-store.js";

export interface DiscordServerOptions {
  /** Bot token the server accepts. Default "test-token". */
  token?: string;
  /** HELLO heartbeat_interval. Default 41250. */
  heartbeatIntervalMs?: number;
  /** Interaction callbacks later than this after dispatch get 10062. Default 3000. */
  ackDeadlineMs?: number;
  /** How long `reply()`/`followups()` wait by default. Default 5000. */
  replyTimeoutMs?: number;
  /** Interaction webhook tokens expire after this. Default 15 minutes. */
  webhookTokenTtlMs?: number;
  /** `enforce_nonce` de-duplication window. Default 5 minutes. */
  nonceWindowMs?: number;
  /** Guilds the bot is in at start. Default: `[defaultGuildSpec()]`. */
  guilds?: GuildSpec[];
  /** The application (its id is also the bot user's id). */
  application?: { id?: string; name?: string; flags?: number; owner?: APIUser };
  /** Privileged intents enabled "in the developer portal" (others → close 4014). Default none. */
  privilegedIntents?: number;
  /** Per-bucket rate limit advertised in x-ratelimit-* headers (and enforced). Default 50 per 1000 ms. */
  rateLimit?: Partial<RateLimitOptions>;
  /** Initial fault injection. */
  faults?: Partial<FaultConfig>;
  /** Seed of the PRNG deciding injected faults. Default 1. */
  seed?: number;
  /** Max upload size per request. Default 10 MiB. */
  maxUploadBytes?: number;
}

/** Permissions `denyPermissions` can take away from the bot in a channel. */
export type DeniablePermissions = Partial<Record<PermissionKey, boolean>>;

export interface DiscordServer {
  /** `http://127.0.0.1:PORT/api` — pass as `rest.api` (discord.js appends /v10). */
  readonly apiUrl: string;
  /** `ws://127.0.0.1:PORT/gateway` */
  readonly gatewayUrl: string;
  readonly port: number;
  readonly token: string;
  readonly applicationId: string;
  readonly botUser: APIUser;
  /** The default (first) guild's id. */
  readonly guildId: string;
  /** Direct access to the state (escape hatch for unusual setups). */
  readonly store: DiscordStore;
  /** Every REST request, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Every dispatch the server sent (once per event). */
  readonly dispatches: ReadonlyArray<{ t: string; d: unknown; at: number }>;
  /** Fault injection; replace or mutate at any time. */
  faults: FaultConfig;
  /** Runs `fn` with these faults injected, then puts the previous ones back (also when `fn` throws). */
  withFaults<T>(faults: Partial<FaultConfig>, fn: () => Promise<T>): Promise<T>;
  /** IDENTIFYs accepted so far. */
  readonly identifies: number;
  /** Successful RESUMEs so far. */
  readonly resumes: number;

  dispatch(event: string, data: unknown): number[];
  /** Stores a guild and sends GUILD_CREATE. Returns its id. */
  addGuild(spec: GuildSpec): string;
  /**
   * A Discord outage of one guild: GUILD_DELETE with `unavailable`. What changes meanwhile (through
   * `store`) is sent with no event; the returned function ends it: GUILD_CREATE of the guild as it is then.
   */
  guildOutage(guildId: string): () => void;
  /** Adds a channel to a guild and sends CHANNEL_CREATE. Returns its id. */
  addChannel(guildId: string, spec: ChannelSpec): string;
  requestReconnect(): void;
  /** Closes every gateway connection abruptly (or with `code`); the client resumes. */
  dropConnections(code?: number): void;
  /** Resolves once a bot session is connected (identified or resumed). */
  waitForGateway(timeoutMs?: number): Promise<void>;
  /** Routes that need these permissions in the channel answer 403 50013 (50001 for viewChannel). */
  denyPermissions(channelId: string, perms: DeniablePermissions): void;
  restorePermissions(channelId: string): void;
  /** Allows permissions to a member in a guild channel (a member overwrite) and sends CHANNEL_UPDATE. */
  allowPermissions(channelId: string, userId: string, perms: PermissionKey[]): void;
  /** Deletes a channel (and its threads) and sends CHANNEL_DELETE / THREAD_DELETE. */
  deleteChannel(id: string): void;
  /** Renames a channel, as an admin would, and sends CHANNEL_UPDATE. */
  renameChannel(id: string, name: string): void;
  addMember(guildId: string, user: APIUser | UserSpec, roles?: string[]): APIGuildMember;
  removeMember(guildId: string, userId: string): void;
  /** DMs to this user answer 403 50007. */
  closeDms(userId: string): void;
  /** Dispatches INTERACTION_CREATE for a user's slash command / autocomplete / button / modal. */
  interact(input: InteractInput): InteractionHandle;

  requestsTo(method: string, path: RegExp): RecordedRequest[];
  /** Messages in a channel as the API returns them, oldest first (ephemeral ones only when asked). */
  messagesIn(channelId: string, opts?: { includeEphemeral?: boolean }): JsonObject[];
  /** Threads whose parent is this channel. */
  threadsIn(channelId: string): JsonObject[];
  channel(id: string): JsonObject | undefined;
  /** Registered commands: global without an argument, else the guild's. */
  commands(guildId?: string): JsonObject[];
  /** Forgets recorded requests and dispatches (state stays). */
  clearRecords(): void;
  /**
   * Forgets every answered interaction nobody waits on, and the messages it created (its reply and
   * follow-ups). For long benchmarks: a server that keeps tens of thousands of interactions and their
   * replies spends ever more of the machine on its own garbage collection. Returns how many it forgot.
   */
  forgetInteractions(): number;
  /** Max REST requests (excluding interaction callbacks) in any 1 s window. */
  maxRequestsPerSecond(): number;
  close(): Promise<void>;
}

const NO_FAULTS: FaultConfig = { rate429: 0, rate500: 0 };

function serveAttachment(store: DiscordStore, res: ServerResponse, path: string): boolean {
  const m = /^\/attachments\/(\d+)\/(\d+)\/[^/]+$/.exec(path);
  if (!m) return false;
  for (const message of store.messagesIn(m[1] ?? "", true)) {
    const file = message.files.get(m[2] ?? "");
    if (file) {
      res.writeHead(200, { "content-type": file.contentType, "content-length": String(file.size) });
      res.end(file.data);
      return true;
    }
  }
  res.writeHead(404, { "content-type": "text/plain" });
  res.end("Not Found");
  return true;
}

export async function startDiscordServer(opts: DiscordServerOptions = {}): Promise<DiscordServer> {
  const options: ResolvedServerOptions = {
    token: opts.token ?? "test-token",
    ackDeadlineMs: opts.ackDeadlineMs ?? 3000,
    webhookTokenTtlMs: opts.webhookTokenTtlMs ?? 15 * 60_000,
    nonceWindowMs: opts.nonceWindowMs ?? 5 * 60_000,
    privilegedIntents: opts.privilegedIntents ?? 0,
  };
  const store = new DiscordStore(opts.application ?? {});
  const guildIds = (opts.guilds ?? [defaultGuildSpec()]).map((spec) => store.addGuild(spec).id);
  let port = 0;
  const gatewayUrl = (): string => `ws://127.0.0.1:${port}/gateway`;

  const gateway = new DiscordGateway({
    token: options.token,
    heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 41250,
    privilegedIntents: options.privilegedIntents,
    gatewayUrl,
    readyPayload: (session: GatewaySession) => ({
      v: 10,
      user_settings: {},
      user: { ...store.app.bot, verified: true, mfa_enabled: false, email: null },
      guilds: [...store.guilds.keys()]
        .filter((id) => onShard(session.shard, id))
        .map((id) => ({ id, unavailable: true })),
      session_id: session.id,
      session_type: "normal",
      resume_gateway_url: gatewayUrl(),
      shard: session.shard,
      application: { id: store.app.id, flags: store.app.flags },
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: ["local"],
      auth: {},
      _trace: ['["gateway-test",{"micros":0}]'],
    }),
    guildCreates: () => [...store.guilds.values()].map((g) => store.guildCreatePayload(g)),
    membersChunk: (request) => {
      const guild = typeof request.guild_id === "string" ? store.guilds.get(request.guild_id) : undefined;
      if (!guild) return undefined;
      const ids = Array.isArray(request.user_ids)
        ? request.user_ids.map(String)
        : typeof request.user_ids === "string"
          ? [request.user_ids]
          : undefined;
      const query = typeof request.query === "string" ? request.query.toLowerCase() : "";
      const limit =
        typeof request.limit === "number" && request.limit > 0 ? request.limit : Number.POSITIVE_INFINITY;
      const members = [...guild.members.values()]
        .filter((m) => (ids ? ids.includes(m.user.id) : m.user.username.toLowerCase().startsWith(query)))
        .slice(0, limit);
      const chunk: JsonObject = {
        guild_id: guild.id,
        members,
        chunk_index: 0,
        chunk_count: 1,
        not_found: ids ? ids.filter((id) => !guild.members.has(id)) : [],
      };
      if (request.nonce !== undefined) chunk.nonce = request.nonce;
      return chunk;
    },
  });

  const interactions = new InteractionRegistry(store, {
    ackDeadlineMs: options.ackDeadlineMs,
    replyTimeoutMs: opts.replyTimeoutMs ?? 5000,
    webhookTokenTtlMs: options.webhookTokenTtlMs,
    attachmentSizeLimit: opts.maxUploadBytes ?? 10 * 1024 * 1024,
  });
  const core: RestCore = {
    store,
    gateway,
    interactions,
    options,
    gatewayUrl,
    identifies: () => gateway.identifies,
  };
  const router = new Router();
  registerRestRoutes(router, core);
  registerInteractionRoutes(router, core);

  let faults: FaultConfig = { ...NO_FAULTS, ...opts.faults };
  const frontend = new HttpFrontend({
    token: options.token,
    router,
    limiter: new RateLimiter({ limit: 50, windowMs: 1000, enforce: true, ...opts.rateLimit }),
    faults: () => faults,
    random: seededRandom(opts.seed ?? 1),
    maxUploadBytes: opts.maxUploadBytes ?? 10 * 1024 * 1024,
    serveOther: (_req, res, path) => serveAttachment(store, res, path),
  });

  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    void frontend.handle(req, res);
  });
  http.on("upgrade", (req, socket, head: Buffer) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname.replace(/\/+$/, "");
    if (path === "/gateway") gateway.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(0, "127.0.0.1", () => {
      http.off("error", reject);
      resolve();
    });
  });
  port = (http.address() as AddressInfo).port;
  store.baseUrl = `http://127.0.0.1:${port}`;

  const channelEvent = (channel: StoredChannel): void => {
    if (channel.guildId === null) return;
    const kind = isThreadType(channel.type) ? "THREAD_UPDATE" : "CHANNEL_UPDATE";
    gateway.dispatch(kind, store.channelPayload(channel), INTENTS.guilds);
  };
  let closed = false;

  const server: DiscordServer = {
    apiUrl: `http://127.0.0.1:${port}/api`,
    gatewayUrl: gatewayUrl(),
    port,
    token: options.token,
    applicationId: store.app.id,
    botUser: store.app.bot,
    guildId: guildIds[0] ?? "",
    store,
    requests: frontend.requests,
    dispatches: gateway.dispatched,
    get faults(): FaultConfig {
      return faults;
    },
    set faults(value: FaultConfig) {
      faults = { ...NO_FAULTS, ...value };
    },
    async withFaults(injected, fn) {
      const before = faults;
      faults = { ...NO_FAULTS, ...injected };
      try {
        return await fn();
      } finally {
        faults = before;
      }
    },
    get identifies(): number {
      return gateway.identifies;
    },
    get resumes(): number {
      return gateway.resumes;
    },
    dispatch: (event, data) => gateway.dispatch(event, data),
    addGuild: (spec) => {
      const guild = store.addGuild(spec);
      gateway.dispatch("GUILD_CREATE", store.guildCreatePayload(guild));
      return guild.id;
    },
    guildOutage: (guildId) => {
      const guild = store.requireGuild(guildId);
      gateway.dispatch("GUILD_DELETE", { id: guild.id, unavailable: true });
      return () => gateway.dispatch("GUILD_CREATE", store.guildCreatePayload(guild));
    },
    addChannel: (guildId, spec) => {
      const channel = store.addGuildChannel(guildId, spec);
      gateway.dispatch("CHANNEL_CREATE", store.channelPayload(channel), INTENTS.guilds);
      return channel.id;
    },
    requestReconnect: () => gateway.requestReconnect(),
    dropConnections: (code) => gateway.dropConnections(code),
    waitForGateway: (timeoutMs = 5000) => gateway.waitForLiveSession(timeoutMs),
    denyPermissions: (channelId, perms) => {
      const keys = Object.entries(perms)
        .filter(([, deny]) => deny === true)
        .map(([key]) => key as PermissionKey);
      channelEvent(store.denyBotPermissions(channelId, keys));
    },
    restorePermissions: (channelId) => channelEvent(store.restoreBotPermissions(channelId)),
    allowPermissions: (channelId, userId, perms) =>
      channelEvent(store.allowMemberPermissions(channelId, userId, perms)),
    renameChannel: (id, name) => {
      const channel = store.channels.get(id);
      if (channel === undefined) throw new Error(`renameChannel: unknown channel ${id}`);
      channel.data.name = name;
      channelEvent(channel);
    },
    deleteChannel: (id) => {
      if (!deleteChannelAndDispatch(core, id)) throw new Error(`deleteChannel: unknown channel ${id}`);
      interactions.notify();
    },
    addMember: (guildId, user, roles = []) => store.addMember(guildId, toApiUser(user), roles),
    removeMember: (guildId, userId) => {
      store.removeMember(guildId, userId);
    },
    closeDms: (userId) => {
      store.closedDms.add(userId);
    },
    interact: (input) => {
      if (gateway.sessions.size === 0)
        throw new Error("interact: no bot session is connected to the gateway");
      const state = interactions.create(input);
      gateway.dispatch("INTERACTION_CREATE", state.payload);
      state.dispatchedAt = Date.now();
      return interactions.handle(state);
    },
    requestsTo: (method, path) =>
      frontend.requests.filter((r) => r.method === method.toUpperCase() && path.test(r.path)),
    messagesIn: (channelId, o = {}) =>
      store.messagesIn(channelId, o.includeEphemeral === true).map((m) => store.messagePayload(m)),
    threadsIn: (channelId) =>
      [...store.channels.values()]
        .filter((c) => isThreadType(c.type) && c.data.parent_id === channelId)
        .map((c) => store.channelPayload(c)),
    channel: (id) => {
      const channel = store.channels.get(id);
      return channel ? store.channelPayload(channel) : undefined;
    },
    commands: (guildId) => store.commands(guildId ?? null).map((c) => structuredClone(c.data)),
    clearRecords: () => {
      frontend.clear();
      gateway.dispatched.length = 0;
      gateway.received.length = 0;
    },
    forgetInteractions: () => {
      const settled = interactions.forgetSettled();
      const ids = new Set<string>();
      for (const state of settled) {
        for (const id of [state.originalMessageId, ...state.followupIds]) {
          // Its own messages only: a component's update (type 6/7) points at the message it came from.
          if (id !== undefined && store.messages.get(id)?.interactionId === state.id) ids.add(id);
        }
      }
      store.forgetMessages(ids);
      return settled.length;
    },
    maxRequestsPerSecond: () => frontend.maxRequestsPerSecond(),
    close: async () => {
      if (closed) return;
      closed = true;
      interactions.close();
      await gateway.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  return server;
}

/** Type guard for JSON objects in tests. */
export { isRecord };
