import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../src/config.js";

const TOKEN = "MTIz.secret-token-value.xyz";

function problems(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("config", () => {
  it("GIVEN only a token THEN every other setting takes its documented default", () => {
    expect(parseConfig({ DISCORD_TOKEN: TOKEN })).toEqual({
      token: TOKEN,
      apiUrl: "https://discord.com/api",
      databaseUrl: "sqlite://data/nexus.sqlite",
      nexusChannel: "prodevprojectnexus",
      devGuildId: undefined,
      logLevel: "info",
      shutdownTimeoutMs: 5000,
      shards: undefined,
    });
  });

  it("GIVEN optional variables set to nothing (X= in .env) THEN each takes its default", () => {
    const blank = ["DISCORD_API_URL", "DATABASE_URL", "NEXUS_CHANNEL", "DEV_GUILD_ID", "LOG_LEVEL"];
    const env = Object.fromEntries(
      [...blank, "SHUTDOWN_TIMEOUT_MS", "SHARDS", "SHARD_COUNT"].map((n) => [n, ""]),
    );
    expect(parseConfig({ DISCORD_TOKEN: TOKEN, ...env, SHUTDOWN_TIMEOUT_MS: " " })).toEqual(
      parseConfig({ DISCORD_TOKEN: TOKEN }),
    );
    expect(parseConfig({ DISCORD_TOKEN: TOKEN, SHUTDOWN_TIMEOUT_MS: "" }).shutdownTimeoutMs).toBe(5000);
    expect(problems({ DISCORD_TOKEN: "" })[0]).toMatch(/^DISCORD_TOKEN is empty/);
  });

  it("GIVEN SHARDS and SHARD_COUNT, in either form THEN this process runs those shards", () => {
    expect(parseConfig({ DISCORD_TOKEN: TOKEN, SHARDS: "1", SHARD_COUNT: "2" }).shards).toEqual({
      ids: [1],
      count: 2,
    });
    // The form discord.js's ShardingManager gives its processes.
    expect(parseConfig({ DISCORD_TOKEN: TOKEN, SHARDS: "[0, 2]", SHARD_COUNT: "4" }).shards).toEqual({
      ids: [0, 2],
      count: 4,
    });
  });

  it("GIVEN one of SHARDS and SHARD_COUNT, a shard outside the count or a bad list THEN each is named", () => {
    expect(problems({ DISCORD_TOKEN: TOKEN, SHARDS: "0" })).toEqual([
      expect.stringMatching(/SHARDS and SHARD_COUNT go together/),
    ]);
    expect(problems({ DISCORD_TOKEN: TOKEN, SHARD_COUNT: "2" })).toEqual([
      expect.stringMatching(/SHARDS and SHARD_COUNT go together/),
    ]);
    expect(problems({ DISCORD_TOKEN: TOKEN, SHARDS: "1,2", SHARD_COUNT: "2" })).toEqual([
      expect.stringMatching(/SHARDS 2 is outside SHARD_COUNT=2/),
    ]);
    expect(problems({ DISCORD_TOKEN: TOKEN, SHARDS: "[0,1", SHARD_COUNT: "2" })).toEqual([
      expect.stringMatching(/^SHARDS must list shard numbers/),
    ]);
    expect(problems({ DISCORD_TOKEN: TOKEN, SHARDS: "first", SHARD_COUNT: "0" })).toEqual([
      expect.stringMatching(/^SHARDS must list shard numbers/),
      expect.stringMatching(/^SHARD_COUNT must be at least 1/),
    ]);
  });

  it("GIVEN no token THEN the error says it is missing and how to get one", () => {
    const [problem] = problems({});
    expect(problem).toMatch(/^DISCORD_TOKEN is missing/);
    expect(problem).toContain("https://discord.com/developers/applications");
  });

  it("GIVEN an empty or spaced token THEN each is named", () => {
    expect(problems({ DISCORD_TOKEN: "  " })[0]).toMatch(/^DISCORD_TOKEN is empty/);
    expect(problems({ DISCORD_TOKEN: "abc def" })[0]).toMatch(/^DISCORD_TOKEN must not contain spaces/);
  });

  it("GIVEN a bad API URL THEN the error names the expected form", () => {
    expect(problems({ DISCORD_TOKEN: TOKEN, DISCORD_API_URL: "discord" })).toEqual([
      "DISCORD_API_URL must be an http(s) URL such as https://discord.com/api",
    ]);
  });

  it("GIVEN an API URL with a trailing slash THEN it is trimmed", () => {
    expect(parseConfig({ DISCORD_TOKEN: TOKEN, DISCORD_API_URL: "http://127.0.0.1:5000/api/" }).apiUrl).toBe(
      "http://127.0.0.1:5000/api",
    );
  });

  it("GIVEN an unknown database scheme THEN the supported ones are listed", () => {
    expect(problems({ DISCORD_TOKEN: TOKEN, DATABASE_URL: "mysql://db" })).toEqual([
      "DATABASE_URL must start with sqlite://, redis://, rediss://, postgres:// or memory://",
    ]);
  });

  it("GIVEN a bad channel name, guild id, log level and timeout THEN all four are reported at once", () => {
    const found = problems({
      DISCORD_TOKEN: TOKEN,
      NEXUS_CHANNEL: "Pro Dev",
      DEV_GUILD_ID: "abc",
      LOG_LEVEL: "loud",
      SHUTDOWN_TIMEOUT_MS: "9000",
    });
    expect(found).toEqual([
      "NEXUS_CHANNEL must be a channel name: 1–100 lowercase letters, digits, - or _",
      "DEV_GUILD_ID must be a Discord id (17–20 digits)",
      "LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent",
      "SHUTDOWN_TIMEOUT_MS must be at most 7000 so that the process exits within 8 s",
    ]);
  });

  it("GIVEN an empty DEV_GUILD_ID THEN it means global registration", () => {
    expect(parseConfig({ DISCORD_TOKEN: TOKEN, DEV_GUILD_ID: "" }).devGuildId).toBeUndefined();
    expect(parseConfig({ DISCORD_TOKEN: TOKEN, DEV_GUILD_ID: "123456789012345678" }).devGuildId).toBe(
      "123456789012345678",
    );
  });

  it("GIVEN any problem THEN the message never contains the token", () => {
    try {
      parseConfig({ DISCORD_TOKEN: TOKEN, LOG_LEVEL: "loud" });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain(TOKEN);
    }
  });
});
