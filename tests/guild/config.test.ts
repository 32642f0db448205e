import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { UserError } from "../../src/discord/errors.js";
import {
  adoptChannel,
  claimWelcome,
  getGuildConfig,
  guildConfigKey,
  parsePostTime,
  parseTimeZone,
  releaseChannel,
  setupGuild,
} from "../../src/guild/config.js";
import { memberTimezone, setMemberTimezone } from "../../src/guild/members.js";
import { silentLogger } from "../../src/log.js";
import { memoryStore } from "../../src/store/open.js";

const G = "100000000000000001";
const channels = [
  { id: "200000000000000001", name: "general", isText: true },
  { id: "200000000000000002", name: "prodevprojectnexus", isText: true },
];

describe("guild config", () => {
  it("GIVEN a new guild THEN it has no channel, UTC and 09:00", async () => {
    const config = await getGuildConfig(memoryStore(silentLogger()), new ManualClock(0), G);
    expect(config).toMatchObject({ channelId: null, timezone: "UTC", postTime: "09:00" });
  });

  it("GIVEN a channel named like NEXUS_CHANNEL THEN it is adopted once and kept afterwards", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(1);
    expect(await adoptChannel(store, clock, G, channels, "prodevprojectnexus")).toBe("200000000000000002");
    expect(await adoptChannel(store, clock, G, channels, "prodevprojectnexus")).toBeNull();
    expect((await getGuildConfig(store, clock, G)).channelSource).toBe("adopted");
  });

  it("GIVEN the Nexus channel WHEN another channel is deleted THEN nothing changes; WHEN it is THEN it is unset", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(1);
    await adoptChannel(store, clock, G, channels, "prodevprojectnexus");
    expect(await releaseChannel(store, clock, G, "200000000000000001")).toBe(false);
    expect((await getGuildConfig(store, clock, G)).channelId).toBe("200000000000000002");
    clock.advance(5);
    expect(await releaseChannel(store, clock, G, "200000000000000002")).toBe(true);
    expect(await getGuildConfig(store, clock, G)).toMatchObject({
      channelId: null,
      channelSource: null,
      updatedAt: 6,
    });
    expect(await adoptChannel(store, clock, G, channels, "prodevprojectnexus")).toBe("200000000000000002");
  });

  it("GIVEN no such channel THEN nothing is adopted or stored", async () => {
    const store = memoryStore(silentLogger());
    expect(await adoptChannel(store, new ManualClock(1), G, channels, "nexus")).toBeNull();
    expect(await store.keyv.get(guildConfigKey(G))).toBeUndefined();
  });

  it("GIVEN setup chose a channel THEN adoption never overrides it", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(1);
    await setupGuild(store, clock, G, { channelId: "200000000000000001", by: "u" });
    expect(await adoptChannel(store, clock, G, channels, "prodevprojectnexus")).toBeNull();
    expect((await getGuildConfig(store, clock, G)).channelId).toBe("200000000000000001");
  });

  it("GIVEN setup with a zone and time THEN both are stored canonically", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(1);
    const saved = await setupGuild(store, clock, G, {
      channelId: "200000000000000002",
      timezone: "africa/lagos",
      postTime: "7:30",
      by: "u",
    });
    expect(saved).toMatchObject({ timezone: "Africa/Lagos", postTime: "07:30", channelSource: "setup" });
  });

  it("GIVEN a bad zone or time THEN the error names the expected form and nothing is stored", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(1);
    await expect(
      setupGuild(store, clock, G, { channelId: "200000000000000002", timezone: "Lagos", by: "u" }),
    ).rejects.toThrow(/IANA name/);
    await expect(
      setupGuild(store, clock, G, { channelId: "200000000000000002", postTime: "25:00", by: "u" }),
    ).rejects.toThrow(/HH:MM/);
    expect(await store.keyv.get(guildConfigKey(G))).toBeUndefined();
    expect(() => parsePostTime("9am")).toThrow(UserError);
    expect(() => parseTimeZone("Nowhere/City")).toThrow(UserError);
  });

  it("GIVEN a time zone or time of emoji WHEN refused THEN the echo is escaped and keeps each emoji whole", () => {
    // With the u flag, "😀+" matches whole emoji only: half of one before the "…" fails the match.
    expect(() => parseTimeZone(`x${"😀".repeat(80)}`)).toThrow(/^“x😀+…” is not a time zone/u);
    expect(() => parsePostTime(`9${"😀".repeat(40)}`)).toThrow(/^“9😀+…” is not a time\./u);
    expect(() => parseTimeZone("America/New_Yrok")).toThrow(/^“America\/New\\_Yrok” is not a time zone/);
  });

  it("GIVEN many concurrent welcome claims THEN exactly one wins", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(1);
    const results = await Promise.all(Array.from({ length: 20 }, () => claimWelcome(store, clock, G, "c")));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("GIVEN a member zone THEN it wins over the guild's, which is the fallback", async () => {
    const store = memoryStore(silentLogger());
    const clock = new ManualClock(1);
    await setupGuild(store, clock, G, { channelId: "200000000000000002", timezone: "Asia/Kolkata", by: "u" });
    expect(await memberTimezone(store, clock, G, "u1")).toBe("Asia/Kolkata");
    await setMemberTimezone(store, clock, G, "u1", "America/New_York");
    expect(await memberTimezone(store, clock, G, "u1")).toBe("America/New_York");
    await expect(setMemberTimezone(store, clock, G, "u1", "EST5")).rejects.toThrow(UserError);
  });
});
