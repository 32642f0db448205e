// The gateway (WebSocket) half of the local Discord test server: HELLO, heartbeats, IDENTIFY → READY +
// GUILD_CREATE, RESUME with replay of missed dispatches, op 7 / op 9, and intent-filtered dispatches.
// Speaks JSON only (no zlib-stream: @discordjs/ws only asks for it when zlib-sync is installed).
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import type { JsonObject } from "./discord-fixtures.js";
import { isRecord } from "./discord-validation.js";

export const OP = {
  dispatch: 0,
  heartbeat: 1,
  identify: 2,
  presenceUpdate: 3,
  voiceStateUpdate: 4,
  resume: 6,
  reconnect: 7,
  requestGuildMembers: 8,
  invalidSession: 9,
  hello: 10,
  heartbeatAck: 11,
  requestSoundboardSounds: 31,
} as const;

export const INTENTS = {
  guilds: 1 << 0,
  guildMembers: 1 << 1,
  guildPresences: 1 << 8,
  guildMessages: 1 << 9,
  directMessages: 1 << 12,
  messageContent: 1 << 15,
} as const;

export const PRIVILEGED_INTENTS = INTENTS.guildMembers | INTENTS.guildPresences | INTENTS.messageContent;

/** Gateway close codes the server uses. */
export const CLOSE = {
  unknownError: 4000,
  unknownOpcode: 4001,
  decodeError: 4002,
  notAuthenticated: 4003,
  authenticationFailed: 4004,
  alreadyAuthenticated: 4005,
  invalidSeq: 4007,
  invalidShard: 4010,
  invalidApiVersion: 4012,
  invalidIntents: 4013,
  disallowedIntents: 4014,
} as const;

const REPLAY_BUFFER = 2000;

/** The shard a guild's events go to: (guild_id >> 22) % num_shards (Discord's sharding formula). */
export function shardOf(guildId: string, count: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(count));
}

/**
 * The guild a dispatch is about (its `guild_id`, or the `id` of a GUILD_* event's guild), or undefined
 * (DMs and the like, which Discord sends to shard 0 only).
 */
function guildOf(event: string, data: unknown): string | undefined {
  if (!isRecord(data)) return undefined;
  if (typeof data.guild_id === "string") return data.guild_id;
  return /^GUILD_(CREATE|UPDATE|DELETE)$/.test(event) && typeof data.id === "string" ? data.id : undefined;
}

/** Whether a session of `shard` gets the events of `guildId` (undefined: shard 0's events). */
export function onShard(shard: readonly [number, number], guildId: string | undefined): boolean {
  return guildId === undefined ? shard[0] === 0 : shardOf(guildId, shard[1]) === shard[0];
}

export interface DispatchRecord {
  op: 0;
  t: string;
  s: number;
  d: unknown;
}

export interface GatewaySession {
  id: string;
  intents: number;
  shard: [number, number];
  seq: number;
  /** Dispatches sent in this session (the last REPLAY_BUFFER of them), for RESUME. */
  buffer: DispatchRecord[];
  socket: WebSocket | undefined;
  createdAt: number;
}

/** What the gateway needs from the rest of the server. */
export interface GatewayHost {
  token: string;
  heartbeatIntervalMs: number;
  /** Privileged intents enabled "in the developer portal". */
  privilegedIntents: number;
  /** `ws://127.0.0.1:PORT/gateway` (also the resume URL). */
  gatewayUrl(): string;
  readyPayload(session: GatewaySession): JsonObject;
  /** GUILD_CREATE payloads sent after READY. */
  guildCreates(): JsonObject[];
  /** GUILD_MEMBERS_CHUNK payloads answering an op 8 request. */
  membersChunk(request: JsonObject): JsonObject | undefined;
  /** Called for every payload received (for debugging). */
  onPayload?(payload: JsonObject, session: GatewaySession | undefined): void;
}

interface Connection {
  socket: WebSocket;
  session: GatewaySession | undefined;
  /** Connected with ?v=10&encoding=json. */
  ok: boolean;
}

function parse(data: RawData): unknown {
  const text = Array.isArray(data)
    ? Buffer.concat(data).toString("utf8")
    : data instanceof ArrayBuffer
      ? Buffer.from(data).toString("utf8")
      : data.toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class DiscordGateway {
  /** Number of IDENTIFY payloads accepted. */
  identifies = 0;
  /** Number of successful RESUMEs. */
  resumes = 0;
  /** Every payload the client sent, in order (op + d; tokens redacted). */
  readonly received: Array<{ op: number; d: unknown; at: number }> = [];
  readonly sessions = new Map<string, GatewaySession>();
  /** Every dispatch the server emitted (once per event, whatever the number of sessions). */
  readonly dispatched: Array<{ t: string; d: unknown; at: number }> = [];
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly connections = new Set<Connection>();
  private readonly waiters = new Set<() => void>();

  constructor(private readonly host: GatewayHost) {
    this.wss.on("connection", (socket: WebSocket, request: IncomingMessage) =>
      this.onConnection(socket, request),
    );
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit("connection", ws, request));
  }

  /** Open WebSocket connections. */
  get openConnections(): number {
    return this.connections.size;
  }

  /** Sessions that currently have an identified, open connection. */
  liveSessions(): GatewaySession[] {
    return [...this.sessions.values()].filter(
      (s) => s.socket !== undefined && s.socket.readyState === s.socket.OPEN,
    );
  }

  /**
   * Sends a dispatch to every session whose intents include `intent` (when given) and whose shard serves
   * the event's guild (DMs: shard 0). Sessions that are disconnected buffer it and get it on RESUME.
   * Returns the sequence numbers used.
   */
  dispatch(event: string, data: unknown, intent?: number): number[] {
    this.dispatched.push({ t: event, d: data, at: Date.now() });
    const seqs: number[] = [];
    const guildId = guildOf(event, data);
    for (const session of this.sessions.values()) {
      if (intent !== undefined && (session.intents & intent) === 0) continue;
      // An unsharded session ([0, 1]) gets everything: skip the BigInt shard maths on that hot path.
      if (session.shard[1] > 1 && !onShard(session.shard, guildId)) continue;
      seqs.push(this.sendDispatch(session, event, data));
    }
    return seqs;
  }

  /** Sends op 7 (Reconnect) on every open connection. */
  requestReconnect(): void {
    for (const conn of this.connections) this.send(conn.socket, { op: OP.reconnect, d: null });
  }

  /**
   * Closes every connection abruptly (TCP reset, the client sees 1006) or with `code`. Sessions survive, so the
   * client resumes unless the code makes it re-identify.
   */
  dropConnections(code?: number): void {
    for (const conn of [...this.connections]) {
      if (code === undefined) conn.socket.terminate();
      else conn.socket.close(code, "dropped by test server");
    }
  }

  /** Resolves when some session has an open, identified/resumed connection. */
  waitForLiveSession(timeoutMs: number): Promise<void> {
    if (this.liveSessions().length > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        reject(new Error(`no gateway session became live within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      this.waiters.add(done);
    });
  }

  async close(): Promise<void> {
    for (const conn of this.connections) conn.socket.terminate();
    this.connections.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  // -------------------------------------------------------------------------------------------------------

  private notifyLive(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private send(socket: WebSocket, payload: unknown): void {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(payload));
  }

  private sendDispatch(session: GatewaySession, event: string, data: unknown): number {
    session.seq += 1;
    const record: DispatchRecord = { op: 0, t: event, s: session.seq, d: data };
    session.buffer.push(record);
    if (session.buffer.length > REPLAY_BUFFER)
      session.buffer.splice(0, session.buffer.length - REPLAY_BUFFER);
    if (session.socket) this.send(session.socket, record);
    return session.seq;
  }

  private onConnection(socket: WebSocket, request: IncomingMessage): void {
    const url = new URL(request.url ?? "/", "http://localhost");
    const conn: Connection = { socket, session: undefined, ok: true };
    this.connections.add(conn);
    socket.on("close", (code: number) => {
      this.connections.delete(conn);
      const session = conn.session;
      if (!session || session.socket !== socket) return;
      session.socket = undefined;
      // A client closing with 1000/1001 ends its session (Discord invalidates it); anything else can resume.
      if (code === 1000 || code === 1001) this.sessions.delete(session.id);
    });
    socket.on("error", () => {
      // A reset connection is expected when tests drop it.
    });
    if (url.searchParams.get("v") !== "10") {
      conn.ok = false;
      socket.close(CLOSE.invalidApiVersion, "Invalid API version");
      return;
    }
    if ((url.searchParams.get("encoding") ?? "json") !== "json") {
      conn.ok = false;
      socket.close(CLOSE.decodeError, "Only encoding=json is supported by the test server");
      return;
    }
    socket.on("message", (data: RawData) => this.onMessage(conn, data));
    this.send(socket, {
      op: OP.hello,
      d: { heartbeat_interval: this.host.heartbeatIntervalMs, _trace: ['["gateway-test",{"micros":0}]'] },
      s: null,
      t: null,
    });
  }

  private onMessage(conn: Connection, data: RawData): void {
    const payload = parse(data);
    if (!isRecord(payload) || typeof payload.op !== "number") {
      conn.socket.close(CLOSE.decodeError, "Error while decoding payload.");
      return;
    }
    const redacted =
      isRecord(payload.d) && "token" in payload.d ? { ...payload.d, token: "<redacted>" } : payload.d;
    this.received.push({ op: payload.op, d: redacted, at: Date.now() });
    this.host.onPayload?.(payload, conn.session);
    switch (payload.op) {
      case OP.heartbeat:
        this.send(conn.socket, { op: OP.heartbeatAck, d: null, s: null, t: null });
        return;
      case OP.identify:
        this.onIdentify(conn, payload.d);
        return;
      case OP.resume:
        this.onResume(conn, payload.d);
        return;
      case OP.presenceUpdate:
      case OP.voiceStateUpdate:
      case OP.requestSoundboardSounds:
        if (!conn.session) conn.socket.close(CLOSE.notAuthenticated, "Not authenticated.");
        return;
      case OP.requestGuildMembers: {
        if (!conn.session) {
          conn.socket.close(CLOSE.notAuthenticated, "Not authenticated.");
          return;
        }
        const chunk = isRecord(payload.d) ? this.host.membersChunk(payload.d) : undefined;
        if (chunk) this.sendDispatch(conn.session, "GUILD_MEMBERS_CHUNK", chunk);
        return;
      }
      default:
        conn.socket.close(CLOSE.unknownOpcode, "Unknown opcode.");
    }
  }

  private onIdentify(conn: Connection, d: unknown): void {
    if (conn.session) {
      conn.socket.close(CLOSE.alreadyAuthenticated, "Already authenticated.");
      return;
    }
    if (!isRecord(d) || typeof d.token !== "string" || !isRecord(d.properties)) {
      conn.socket.close(CLOSE.decodeError, "Error while decoding payload.");
      return;
    }
    if (d.token.replace(/^Bot\s+/i, "") !== this.host.token) {
      conn.socket.close(CLOSE.authenticationFailed, "Authentication failed.");
      return;
    }
    const intents = d.intents;
    if (typeof intents !== "number" || !Number.isInteger(intents) || intents < 0) {
      conn.socket.close(CLOSE.invalidIntents, "Invalid intent(s).");
      return;
    }
    if ((intents & PRIVILEGED_INTENTS & ~this.host.privilegedIntents) !== 0) {
      conn.socket.close(CLOSE.disallowedIntents, "Disallowed intent(s).");
      return;
    }
    const shardRaw = d.shard;
    const shard: [number, number] =
      Array.isArray(shardRaw) && typeof shardRaw[0] === "number" && typeof shardRaw[1] === "number"
        ? [shardRaw[0], shardRaw[1]]
        : [0, 1];
    if (!Number.isInteger(shard[0]) || !Number.isInteger(shard[1]) || shard[0] < 0 || shard[0] >= shard[1]) {
      conn.socket.close(CLOSE.invalidShard, "Invalid shard.");
      return;
    }
    const session: GatewaySession = {
      id: randomUUID().replaceAll("-", ""),
      intents,
      shard,
      seq: 0,
      buffer: [],
      socket: conn.socket,
      createdAt: Date.now(),
    };
    this.sessions.set(session.id, session);
    conn.session = session;
    this.identifies += 1;
    this.sendDispatch(session, "READY", this.host.readyPayload(session));
    // GUILD_CREATE is sent for every guild of the shard whatever the intents (without GUILDS the client
    // just gets less).
    for (const guild of this.host.guildCreates()) {
      if (typeof guild.id === "string" && onShard(shard, guild.id)) {
        this.sendDispatch(session, "GUILD_CREATE", guild);
      }
    }
    this.notifyLive();
  }

  private onResume(conn: Connection, d: unknown): void {
    if (conn.session) {
      conn.socket.close(CLOSE.alreadyAuthenticated, "Already authenticated.");
      return;
    }
    if (!isRecord(d) || typeof d.token !== "string" || typeof d.session_id !== "string") {
      conn.socket.close(CLOSE.decodeError, "Error while decoding payload.");
      return;
    }
    if (d.token.replace(/^Bot\s+/i, "") !== this.host.token) {
      conn.socket.close(CLOSE.authenticationFailed, "Authentication failed.");
      return;
    }
    const session = this.sessions.get(d.session_id);
    const seq = typeof d.seq === "number" ? d.seq : 0;
    const oldest = session?.buffer[0]?.s ?? 1;
    if (!session || seq < oldest - 1) {
      this.send(conn.socket, { op: OP.invalidSession, d: false, s: null, t: null });
      return;
    }
    if (seq > session.seq) {
      conn.socket.close(CLOSE.invalidSeq, "Invalid seq.");
      return;
    }
    if (session.socket && session.socket !== conn.socket) session.socket.terminate();
    session.socket = conn.socket;
    conn.session = session;
    for (const record of session.buffer) if (record.s > seq) this.send(conn.socket, record);
    this.resumes += 1;
    this.sendDispatch(session, "RESUMED", { _trace: ['["gateway-test",{"micros":0}]'] });
    this.notifyLive();
  }
}
