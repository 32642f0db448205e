// HTTP plumbing of the local Discord test server: body parsing (JSON and multipart), a small router,
// Discord-style errors, per-bucket rate-limit headers, fault injection (429/500) and request recording.
import { createHash } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { JsonObject } from "./discord-fixtures.js";
import type { RecordedFile } from "./discord-store.js";
import {
  invalidFormBody,
  type MentionReport,
  NO_PING,
  pathString,
  type ValidationIssue,
} from "./discord-validation.js";

// ---------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------

/** An error answered the way Discord answers it: `status` + JSON `{ message, code, errors? }`. */
export class DiscordHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly body: JsonObject = { message, code },
  ) {
    super(message);
  }
}

export const ERR = {
  unauthorized: () => new DiscordHttpError(401, 0, "401: Unauthorized"),
  unknownAccount: () => new DiscordHttpError(404, 10001, "Unknown Account"),
  unknownApplication: () => new DiscordHttpError(404, 10002, "Unknown Application"),
  unknownChannel: () => new DiscordHttpError(404, 10003, "Unknown Channel"),
  unknownGuild: () => new DiscordHttpError(404, 10004, "Unknown Guild"),
  unknownMember: () => new DiscordHttpError(404, 10007, "Unknown Member"),
  unknownMessage: () => new DiscordHttpError(404, 10008, "Unknown Message"),
  unknownUser: () => new DiscordHttpError(404, 10013, "Unknown User"),
  unknownWebhook: () => new DiscordHttpError(404, 10015, "Unknown Webhook"),
  unknownInteraction: () => new DiscordHttpError(404, 10062, "Unknown interaction"),
  unknownCommand: () => new DiscordHttpError(404, 10063, "Unknown application command"),
  alreadyAcknowledged: () => new DiscordHttpError(400, 40060, "Interaction has already been acknowledged."),
  missingAccess: () => new DiscordHttpError(403, 50001, "Missing Access"),
  cannotEditOthers: () => new DiscordHttpError(403, 50005, "Cannot edit a message authored by another user"),
  emptyMessage: () => new DiscordHttpError(400, 50006, "Cannot send an empty message"),
  cannotDm: () => new DiscordHttpError(403, 50007, "Cannot send messages to this user"),
  missingPermissions: () => new DiscordHttpError(403, 50013, "Missing Permissions"),
  invalidWebhookToken: () => new DiscordHttpError(401, 50027, "Invalid Webhook Token"),
  archivedThread: () => new DiscordHttpError(400, 50083, "Thread is archived"),
  invalidJson: () => new DiscordHttpError(400, 50109, "The request body contains invalid JSON."),
  cannotReplyWithoutHistory: () =>
    new DiscordHttpError(400, 160002, "Cannot reply without permission to read message history"),
  threadAlreadyCreated: () =>
    new DiscordHttpError(400, 160004, "A thread has already been created for this message"),
  tooLarge: () => new DiscordHttpError(413, 40005, "Request entity too large"),
  notFound: () => new DiscordHttpError(404, 0, "404: Not Found"),
  methodNotAllowed: () => new DiscordHttpError(405, 0, "405: Method Not Allowed"),
  invalidForm: (issues: ValidationIssue[]) =>
    new DiscordHttpError(400, 50035, "Invalid Form Body", invalidFormBody(issues)),
} as const;

// ---------------------------------------------------------------------------------------------------------
// Recording
// ---------------------------------------------------------------------------------------------------------

export type FaultKind = "429" | "500" | "500-after-processing";

export interface RecordedRequest {
  /** 1-based arrival order. */
  seq: number;
  method: string;
  /** Path below `/api/v10`, with ids, e.g. `/channels/123/messages`. */
  path: string;
  /** Route template, e.g. `/channels/:channel_id/messages` (`?` when no route matched). */
  route: string;
  params: Record<string, string>;
  query: Record<string, string>;
  /** Parsed JSON body (or `payload_json` of a multipart body); `undefined` when there was none. */
  body: unknown;
  files: RecordedFile[];
  /** 0 while the request is in flight. */
  status: number;
  /** The JSON the server answered (undefined for 204). */
  response: unknown;
  /** Arrival time (ms since epoch). */
  at: number;
  durationMs: number;
  /** Whether this body would notify anyone (content + allowed_mentions; false for non-message bodies). */
  wouldPing: boolean;
  mentions: MentionReport;
  /** False when validation rejected the body (then `errors` lists why and the status is 400). */
  valid: boolean;
  errors: ValidationIssue[];
  /** Injected fault, if any. */
  fault: FaultKind | undefined;
  /** Answered 429 because the bucket was exhausted (not an injected fault). */
  rateLimited: boolean;
  /** `POST /interactions/{id}/{token}/callback`. */
  interactionCallback: boolean;
  /** An exception inside the test server itself (a bug in the fake, answered as 500). */
  serverError: string | undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Body parsing
// ---------------------------------------------------------------------------------------------------------

export interface ParsedBody {
  body: unknown;
  files: RecordedFile[];
}

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

export async function parseBody(req: IncomingMessage): Promise<ParsedBody> {
  const raw = await readRaw(req);
  if (raw.length === 0) return { body: undefined, files: [] };
  const type = req.headers["content-type"] ?? "";
  if (type.startsWith("multipart/form-data")) {
    const form = await new Request("http://local/", {
      method: "POST",
      headers: { "content-type": type },
      body: raw,
    }).formData();
    let body: unknown;
    const fields: JsonObject = {};
    const files: RecordedFile[] = [];
    for (const [field, value] of form.entries()) {
      if (typeof value === "string") {
        if (field === "payload_json") {
          try {
            body = JSON.parse(value);
          } catch {
            throw ERR.invalidJson();
          }
        } else {
          fields[field] = value;
        }
        continue;
      }
      const data = Buffer.from(await value.arrayBuffer());
      files.push({
        field,
        name: value.name,
        contentType: value.type || "application/octet-stream",
        size: data.length,
        data,
        text: data.toString("utf8"),
      });
    }
    return { body: body ?? (Object.keys(fields).length > 0 ? fields : undefined), files };
  }
  try {
    return { body: JSON.parse(raw.toString("utf8")), files: [] };
  } catch {
    throw ERR.invalidJson();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Router
// ---------------------------------------------------------------------------------------------------------

export interface RestContext {
  method: string;
  path: string;
  route: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  files: RecordedFile[];
  headers: IncomingHttpHeaders;
  /** Whether the request carried a valid `Authorization: Bot <token>`. */
  authenticated: boolean;
  record: RecordedRequest;
}

export interface RestResult {
  status: number;
  body?: unknown;
}

export type RestHandler = (ctx: RestContext) => RestResult | Promise<RestResult>;

interface RouteDef {
  method: string;
  template: string;
  segments: string[];
  handler: RestHandler;
  /** Needs `Authorization: Bot <token>` (webhook and interaction routes do not). */
  auth: boolean;
}

export class Router {
  private readonly routes: RouteDef[] = [];

  add(method: string, template: string, handler: RestHandler, opts: { auth?: boolean } = {}): this {
    this.routes.push({
      method,
      template,
      segments: template.split("/").filter(Boolean),
      handler,
      auth: opts.auth ?? true,
    });
    return this;
  }

  match(
    method: string,
    path: string,
  ): { def: RouteDef; params: Record<string, string> } | { methodNotAllowed: true } | undefined {
    const parts = path.split("/").filter(Boolean);
    let pathMatched = false;
    // Literal segments win over parameters (`@original` vs `:message_id`, `@me` vs `:user_id`).
    const candidates: Array<{ def: RouteDef; params: Record<string, string>; literals: number }> = [];
    for (const def of this.routes) {
      if (def.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let literals = 0;
      let ok = true;
      def.segments.forEach((seg, i) => {
        const part = parts[i] ?? "";
        if (seg.startsWith(":")) params[seg.slice(1)] = part;
        else if (seg === part) literals++;
        else ok = false;
      });
      if (!ok) continue;
      pathMatched = true;
      if (def.method === method) candidates.push({ def, params, literals });
    }
    candidates.sort((a, b) => b.literals - a.literals);
    const best = candidates[0];
    if (best) return { def: best.def, params: best.params };
    return pathMatched ? { methodNotAllowed: true } : undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Rate limits and faults
// ---------------------------------------------------------------------------------------------------------

export interface RateLimitOptions {
  /** Requests per bucket per window. Default 50. */
  limit: number;
  /** Window length. Default 1000 ms. */
  windowMs: number;
  /** Answer 429 when a client exceeds a bucket (discord.js never should: it reads the headers). Default true. */
  enforce: boolean;
}

interface BucketState {
  count: number;
  resetAt: number;
}

export interface BucketInfo {
  hash: string;
  limit: number;
  remaining: number;
  resetAt: number;
  resetAfterMs: number;
  exceeded: boolean;
}

export class RateLimiter {
  private readonly buckets = new Map<string, BucketState>();
  constructor(readonly options: RateLimitOptions) {}

  take(method: string, route: string, major: string): BucketInfo {
    const hash = createHash("md5").update(`${method} ${route}`).digest("hex");
    const key = `${hash}:${major}`;
    const now = Date.now();
    let state = this.buckets.get(key);
    if (!state || state.resetAt <= now) {
      state = { count: 0, resetAt: now + this.options.windowMs };
      this.buckets.set(key, state);
    }
    state.count += 1;
    const exceeded = state.count > this.options.limit;
    return {
      hash,
      limit: this.options.limit,
      remaining: Math.max(0, this.options.limit - state.count),
      resetAt: state.resetAt,
      resetAfterMs: state.resetAt - now,
      exceeded,
    };
  }
}

export interface FaultConfig {
  /** Probability (0..1) of answering a request with an injected 429. */
  rate429: number;
  /** Probability (0..1) of answering a request with an injected 500. */
  rate500: number;
  /**
   * Only requests whose path (below /api/v10) matches are eligible. Interaction callbacks are never eligible
   * unless this matches them explicitly.
   */
  routes?: RegExp;
  /** `retry_after` of injected 429s. Default 100 ms. */
  retryAfterMs?: number;
  /**
   * At most this many injected faults in a row for the same method + path (so clients that retry
   * eventually succeed; discord.js retries 500s 3 times). Default 3; Infinity for a hard outage.
   */
  maxConsecutive?: number;
  /** Injected 500s happen after the request was processed (the effect happened but the client sees 500). */
  afterProcessing?: boolean;
}

/** Small deterministic PRNG (mulberry32) so fault injection is reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------------------
// The HTTP front end
// ---------------------------------------------------------------------------------------------------------

export interface HttpFrontendOptions {
  token: string;
  router: Router;
  limiter: RateLimiter;
  faults: () => FaultConfig;
  random: () => number;
  /** Max total upload size per request. Default 10 MiB. */
  maxUploadBytes: number;
  /** Serves non-API paths (e.g. attachment downloads); return false when not handled. */
  serveOther?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean;
}

const INTERACTION_CALLBACK = /^\/interactions\/[^/]+\/[^/]+\/callback$/;

function majorParameter(params: Record<string, string>): string {
  if (params.channel_id) return `channel:${params.channel_id}`;
  if (params.guild_id) return `guild:${params.guild_id}`;
  if (params.webhook_id) return `webhook:${params.webhook_id}:${params.webhook_token ?? ""}`;
  if (params.interaction_id) return `interaction:${params.interaction_id}`;
  return "global";
}

export class HttpFrontend {
  readonly requests: RecordedRequest[] = [];
  private seq = 0;
  private readonly consecutiveFaults = new Map<string, number>();

  constructor(private readonly opts: HttpFrontendOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = (req.method ?? "GET").toUpperCase();
    const versioned = /^\/api\/v(\d+)(\/.*)?$/.exec(url.pathname);
    if (!versioned) {
      if (this.opts.serveOther?.(req, res, url.pathname)) return;
      this.write(res, 404, { message: "404: Not Found", code: 0 }, undefined);
      return;
    }
    const path = (versioned[2] ?? "/")
      .split("/")
      .map((seg) => {
        try {
          return decodeURIComponent(seg);
        } catch {
          return seg;
        }
      })
      .join("/");
    const record: RecordedRequest = {
      seq: ++this.seq,
      method,
      path,
      route: "?",
      params: {},
      query: Object.fromEntries(url.searchParams.entries()),
      body: undefined,
      files: [],
      status: 0,
      response: undefined,
      at: Date.now(),
      durationMs: 0,
      wouldPing: false,
      mentions: { ...NO_PING },
      valid: true,
      errors: [],
      fault: undefined,
      rateLimited: false,
      interactionCallback: method === "POST" && INTERACTION_CALLBACK.test(path),
      serverError: undefined,
    };
    this.requests.push(record);
    let bucket: BucketInfo | undefined;
    const finish = (status: number, body: unknown, extra: Record<string, string> = {}): void => {
      record.status = status;
      record.response = body;
      record.durationMs = Date.now() - record.at;
      this.write(res, status, body, bucket, extra);
    };
    try {
      if (versioned[1] !== "10") throw new DiscordHttpError(400, 50041, "Invalid API version provided");
      const parsed = await parseBody(req);
      record.body = parsed.body;
      record.files = parsed.files;
      if (parsed.files.reduce((n, f) => n + f.size, 0) > this.opts.maxUploadBytes) throw ERR.tooLarge();
      const matched = this.opts.router.match(method, path);
      if (!matched) throw ERR.notFound();
      if ("methodNotAllowed" in matched) throw ERR.methodNotAllowed();
      const { def, params } = matched;
      record.route = def.template;
      record.params = params;
      const authHeader = req.headers.authorization;
      const authenticated = authHeader === `Bot ${this.opts.token}`;
      if ((authHeader !== undefined && !authenticated) || (def.auth && !authenticated))
        throw ERR.unauthorized();

      bucket = this.opts.limiter.take(method, def.template, majorParameter(params));
      const fault = this.pickFault(method, path, record.interactionCallback);
      if (fault === "429") {
        record.fault = "429";
        this.answer429(record, finish, this.opts.faults().retryAfterMs ?? 100);
        return;
      }
      if (fault === "500") {
        record.fault = "500";
        finish(500, { message: "500: Internal Server Error", code: 0 });
        return;
      }
      if (bucket.exceeded && this.opts.limiter.options.enforce) {
        record.rateLimited = true;
        this.answer429(record, finish, bucket.resetAfterMs);
        return;
      }
      const result = await def.handler({
        method,
        path,
        route: def.template,
        params,
        query: url.searchParams,
        body: parsed.body,
        files: parsed.files,
        headers: req.headers,
        authenticated,
        record,
      });
      if (fault === "500-after-processing") {
        record.fault = "500-after-processing";
        finish(500, { message: "500: Internal Server Error", code: 0 });
        return;
      }
      finish(result.status, result.body);
    } catch (error) {
      if (error instanceof DiscordHttpError) {
        if (error.code === 50035 && record.errors.length > 0) record.valid = false;
        finish(error.status, error.body);
        return;
      }
      record.serverError = error instanceof Error ? (error.stack ?? error.message) : String(error);
      finish(500, { message: "500: Internal Server Error", code: 0 });
    }
  }

  /** Largest number of REST requests (excluding interaction callbacks) that arrived within any 1 s window. */
  maxRequestsPerSecond(): number {
    const times = this.requests.filter((r) => !r.interactionCallback).map((r) => r.at);
    times.sort((a, b) => a - b);
    let best = 0;
    let start = 0;
    for (let end = 0; end < times.length; end++) {
      const endAt = times[end] ?? 0;
      while ((times[start] ?? 0) <= endAt - 1000) start++;
      best = Math.max(best, end - start + 1);
    }
    return best;
  }

  clear(): void {
    this.requests.length = 0;
    this.consecutiveFaults.clear();
  }

  private answer429(
    record: RecordedRequest,
    finish: (status: number, body: unknown, extra?: Record<string, string>) => void,
    retryAfterMs: number,
  ): void {
    const seconds = Math.max(0.001, retryAfterMs / 1000);
    const text = seconds.toFixed(3);
    record.durationMs = Date.now() - record.at;
    finish(
      429,
      { message: "You are being rate limited.", retry_after: Number(text), global: false },
      {
        "retry-after": text,
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset-after": text,
        "x-ratelimit-reset": ((Date.now() + retryAfterMs) / 1000).toFixed(3),
        "x-ratelimit-scope": "user",
      },
    );
  }

  private pickFault(method: string, path: string, callback: boolean): FaultKind | undefined {
    const faults = this.opts.faults();
    if (faults.rate429 <= 0 && faults.rate500 <= 0) return undefined;
    if (faults.routes) {
      if (!faults.routes.test(path)) return undefined;
    } else if (callback) {
      return undefined;
    }
    const key = `${method} ${path}`;
    const streak = this.consecutiveFaults.get(key) ?? 0;
    if (streak >= (faults.maxConsecutive ?? 3)) {
      this.consecutiveFaults.set(key, 0);
      return undefined;
    }
    let fault: FaultKind | undefined;
    if (this.opts.random() < faults.rate429) fault = "429";
    else if (this.opts.random() < faults.rate500)
      fault = faults.afterProcessing ? "500-after-processing" : "500";
    this.consecutiveFaults.set(key, fault ? streak + 1 : 0);
    return fault;
  }

  private write(
    res: ServerResponse,
    status: number,
    body: unknown,
    bucket: BucketInfo | undefined,
    extra: Record<string, string> = {},
  ): void {
    const headers: Record<string, string> = {
      via: "1.1 google",
      "x-ratelimit-limit": String(bucket?.limit ?? 50),
      "x-ratelimit-remaining": String(bucket?.remaining ?? 49),
      "x-ratelimit-reset": ((bucket?.resetAt ?? Date.now() + 1000) / 1000).toFixed(3),
      "x-ratelimit-reset-after": ((bucket?.resetAfterMs ?? 1000) / 1000).toFixed(3),
      "x-ratelimit-bucket": bucket?.hash ?? "0000000000000000000000000000global",
      ...extra,
    };
    if (status === 204 || body === undefined) {
      res.writeHead(status === 200 && body === undefined ? 204 : status, headers);
      res.end();
      return;
    }
    headers["content-type"] = "application/json";
    res.writeHead(status, headers);
    res.end(JSON.stringify(body));
  }
}

/** `path.to[0].field: CODE message` lines, for error messages in tests. */
export function describeIssues(issues: ValidationIssue[]): string {
  return issues.map((i) => `${pathString(i.path) || "(body)"}: ${i.code} ${i.message}`).join("; ");
}
