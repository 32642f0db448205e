import { config as loadDotenv } from "dotenv";
import { z } from "zod";

const snowflake = z.string().regex(/^\d{17,20}$/, "must be a Discord id (17–20 digits)");

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** The one schema for the environment. Every variable the bot reads is here and in `.env.example`. */
const EnvSchema = z.object({
  DISCORD_TOKEN: z
    .string({ error: "is missing" })
    .trim()
    .min(1, "is empty")
    .refine((token) => !/\s/.test(token), "must not contain spaces"),
  DISCORD_API_URL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://discord.com/api" })
    .default("https://discord.com/api")
    .transform((url) => url.replace(/\/+$/, "")),
  DATABASE_URL: z
    .string()
    .trim()
    .regex(
      /^(sqlite|redis|rediss|postgres|postgresql|memory):\/\/.*/,
      "must start with sqlite://, redis://, rediss://, postgres:// or memory://",
    )
    .default("sqlite://data/nexus.sqlite"),
  NEXUS_CHANNEL: z
    .string()
    .trim()
    .regex(/^[a-z0-9_-]{1,100}$/, "must be a channel name: 1–100 lowercase letters, digits, - or _")
    .default("prodevprojectnexus"),
  DEV_GUILD_ID: z
    .string()
    .trim()
    .transform((value) => (value === "" ? undefined : value))
    .pipe(snowflake.optional())
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  SHUTDOWN_TIMEOUT_MS: z.coerce
    .number({ error: "must be a number of milliseconds" })
    .int()
    .min(0)
    .max(7000, "must be at most 7000 so that the process exits within 8 s")
    .default(5000),
  // Sharding: the shards this process runs, out of SHARD_COUNT. "0,1" or, as discord.js's
  // ShardingManager sets it, "[0,1]".
  SHARDS: z
    .string()
    .trim()
    .regex(/^(\d+(\s*,\s*\d+)*|\[\s*\d+(\s*,\s*\d+)*\s*\])$/, "must list shard numbers, such as 0 or 0,1")
    .transform((value) => [
      ...new Set(
        value
          .replace(/[[\]\s]/g, "")
          .split(",")
          .map(Number),
      ),
    ])
    .optional(),
  SHARD_COUNT: z.coerce
    .number({ error: "must be a whole number of shards" })
    .int("must be a whole number of shards")
    .min(1, "must be at least 1")
    .optional(),
});

export type Config = {
  token: string;
  apiUrl: string;
  databaseUrl: string;
  nexusChannel: string;
  devGuildId: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  shutdownTimeoutMs: number;
  /** The shards this process runs (ids out of count), when the bot runs as several processes. */
  shards: { ids: number[]; count: number } | undefined;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Nexus cannot start:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const TOKEN_HELP =
  "Create an application at https://discord.com/developers/applications, open Bot → Reset Token, " +
  "and put the token in .env as DISCORD_TOKEN=… (see .env.example).";

/** Parses an environment (default `process.env`) into the bot's config, or throws a ConfigError that lists every problem in plain words. Never echoes the token. */
export function parseConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = EnvSchema.safeParse(withoutBlanks(env));
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      const line = `${name} ${issue.message}`;
      return name === "DISCORD_TOKEN" ? `${line}. ${TOKEN_HELP}` : line;
    });
    throw new ConfigError(problems);
  }
  const env2 = result.data;
  const shards = shardsOf(env2.SHARDS, env2.SHARD_COUNT);
  if (typeof shards === "string") throw new ConfigError([shards]);
  return {
    token: env2.DISCORD_TOKEN,
    apiUrl: env2.DISCORD_API_URL,
    databaseUrl: env2.DATABASE_URL,
    nexusChannel: env2.NEXUS_CHANNEL,
    devGuildId: env2.DEV_GUILD_ID,
    logLevel: env2.LOG_LEVEL,
    shutdownTimeoutMs: env2.SHUTDOWN_TIMEOUT_MS,
    shards,
  };
}

/**
 * An optional variable set to nothing (`SHUTDOWN_TIMEOUT_MS=` in .env or a Docker env file) means unset:
 * its default applies. Otherwise z.coerce reads "" as 0, and a URL or name check refuses it. An empty token
 * stays, to be reported as empty.
 */
function withoutBlanks(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([name, value]) => name === "DISCORD_TOKEN" || value?.trim() !== ""),
  );
}

/** SHARDS and SHARD_COUNT together (or neither), every shard below the count; else the problem. */
function shardsOf(ids: number[] | undefined, count: number | undefined): Config["shards"] | string {
  if (ids === undefined && count === undefined) return undefined;
  if (ids === undefined || count === undefined) {
    return "SHARDS and SHARD_COUNT go together: set both (SHARDS=0 SHARD_COUNT=2 for the first of two processes)";
  }
  const outside = ids.filter((id) => id >= count);
  if (outside.length > 0) {
    return `SHARDS ${outside.join(", ")} ${outside.length === 1 ? "is" : "are"} outside SHARD_COUNT=${count} (shards are numbered from 0)`;
  }
  return { ids, count };
}

/** Loads `.env` (without overriding the real environment) and parses it; on a problem prints it and exits 1, without a stack trace. */
export function loadConfigOrExit(): Config {
  loadDotenv({ quiet: true });
  try {
    const config = parseConfig(process.env);
    // discord.js's Client reads SHARDS and SHARD_COUNT from the environment itself when it is given no shards
    // (unsharded here), and a blank one breaks it (JSON.parse(""), a count of 0): blank means unset here.
    for (const name of ["SHARDS", "SHARD_COUNT"]) {
      if (process.env[name]?.trim() === "") delete process.env[name];
    }
    return config;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
