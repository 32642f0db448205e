import { describe, expect, it } from "vitest";
import {
  dueGuilds,
  isDue,
  nextPostAt,
  postInstant,
  type ScheduleConfig,
} from "../../src/challenge/schedule.js";
import { localDate } from "../../src/time.js";

const utc = (iso: string) => Date.parse(iso);
const config = (timezone: string, postTime = "09:00"): ScheduleConfig => ({
  channelId: "200000000000000001",
  timezone,
  postTime,
});

describe("postInstant", () => {
  it.each([
    ["Europe/London", "2026-03-28", "2026-03-28T09:00:00.000Z"], // GMT
    ["Europe/London", "2026-03-29", "2026-03-29T08:00:00.000Z"], // BST from 01:00 UTC that day
    ["Europe/London", "2026-10-24", "2026-10-24T08:00:00.000Z"], // BST
    ["Europe/London", "2026-10-25", "2026-10-25T09:00:00.000Z"], // GMT again
    ["America/New_York", "2026-03-07", "2026-03-07T14:00:00.000Z"], // EST
    ["America/New_York", "2026-03-08", "2026-03-08T13:00:00.000Z"], // EDT
    ["America/New_York", "2026-11-01", "2026-11-01T14:00:00.000Z"], // EST again
    ["Africa/Lagos", "2026-06-01", "2026-06-01T08:00:00.000Z"],
    ["Asia/Kolkata", "2026-06-01", "2026-06-01T03:30:00.000Z"],
    ["Pacific/Kiritimati", "2026-06-01", "2026-05-31T19:00:00.000Z"], // UTC+14
  ])("GIVEN %s on %s THEN 09:00 local is %s", (timezone, date, expected) => {
    expect(new Date(postInstant(date, config(timezone))).toISOString()).toBe(expected);
  });

  it("GIVEN 01:30 on the London spring-forward day THEN the missing time moves forward to 02:30 BST", () => {
    expect(new Date(postInstant("2026-03-29", config("Europe/London", "01:30"))).toISOString()).toBe(
      "2026-03-29T01:30:00.000Z",
    );
  });

  it("GIVEN 23:30 in America/Nuuk on 2024-03-30 (23:00–24:00 skipped) THEN the post is in the date's last minute, 22:59 -02", () => {
    expect(new Date(postInstant("2024-03-30", config("America/Nuuk", "23:30"))).toISOString()).toBe(
      "2024-03-31T00:59:00.000Z",
    );
  });
});

describe("isDue", () => {
  const london = config("Europe/London");

  it("GIVEN a minute before, at and after post time THEN only at and after is it due", () => {
    expect(isDue(utc("2026-06-01T07:59:00Z"), london, null)).toBe(false);
    expect(isDue(utc("2026-06-01T08:00:00Z"), london, null)).toBe(true);
    expect(isDue(utc("2026-06-01T22:59:59Z"), london, null)).toBe(true);
  });

  it("GIVEN today's date already claimed THEN it is not due again", () => {
    expect(isDue(utc("2026-06-01T12:00:00Z"), london, "2026-06-01")).toBe(false);
  });

  it("GIVEN the last post days ago THEN only today is due (no catch-up of missed days)", () => {
    expect(isDue(utc("2026-06-05T12:00:00Z"), london, "2026-06-01")).toBe(true);
  });

  it("GIVEN a claimed date later than today (time zone moved west) THEN it is not due", () => {
    expect(isDue(utc("2026-06-01T20:00:00Z"), config("America/Los_Angeles"), "2026-06-02")).toBe(false);
  });

  it("GIVEN no channel THEN it is never due", () => {
    expect(isDue(utc("2026-06-01T12:00:00Z"), { ...london, channelId: null }, null)).toBe(false);
  });

  it("GIVEN London time stepping every minute across the October change THEN it becomes due exactly once a day", () => {
    let last: string | null = null;
    const dueAt: string[] = [];
    for (let t = utc("2026-10-24T00:00:00Z"); t < utc("2026-10-27T00:00:00Z"); t += 60_000) {
      if (isDue(t, london, last)) {
        dueAt.push(new Date(t).toISOString());
        last = localDate(t, "Europe/London");
      }
    }
    expect(dueAt).toEqual([
      "2026-10-24T08:00:00.000Z",
      "2026-10-25T09:00:00.000Z",
      "2026-10-26T09:00:00.000Z",
    ]);
  });
});

describe("isDue across a DST gap at the end of a day", () => {
  it("GIVEN America/Nuuk at 23:30 stepping every 30 s across 2024-03-30 THEN it becomes due exactly once on each local date", () => {
    const nuuk = config("America/Nuuk", "23:30");
    let last: string | null = null;
    const dueAt: string[] = [];
    for (let t = utc("2024-03-29T12:00:00Z"); t < utc("2024-04-01T12:00:00Z"); t += 30_000) {
      if (isDue(t, nuuk, last)) {
        dueAt.push(`${localDate(t, "America/Nuuk")} ${new Date(t).toISOString()}`);
        last = localDate(t, "America/Nuuk");
      }
    }
    expect(dueAt).toEqual([
      "2024-03-29 2024-03-30T01:30:00.000Z", // 23:30 -02
      "2024-03-30 2024-03-31T00:59:00.000Z", // 22:59 -02, the date's last minute
      "2024-03-31 2024-04-01T00:30:00.000Z", // 23:30 -01
    ]);
  });

  it("GIVEN the Nuuk gap day THEN the next post is in its last minute, and once posted the next day's 23:30", () => {
    const nuuk = config("America/Nuuk", "23:30");
    expect(new Date(nextPostAt(utc("2024-03-30T12:00:00Z"), nuuk, null)).toISOString()).toBe(
      "2024-03-31T00:59:00.000Z",
    );
    expect(new Date(nextPostAt(utc("2024-03-31T00:59:30Z"), nuuk, "2024-03-30")).toISOString()).toBe(
      "2024-04-01T00:30:00.000Z",
    );
  });
});

describe("dueGuilds", () => {
  it("GIVEN guilds in several zones at one instant THEN the due ones come with their own local date", () => {
    const now = utc("2026-06-01T08:30:00Z");
    const configs = [
      { guildId: "lagos", config: config("Africa/Lagos") }, // 09:30 local: due
      { guildId: "tokyo", config: config("Asia/Tokyo") }, // 17:30 local: due, but already posted
      { guildId: "la", config: config("America/Los_Angeles") }, // 01:30 local: not yet
      { guildId: "kolkata", config: config("Asia/Kolkata") }, // 14:00 local: due
      { guildId: "kiritimati", config: config("Pacific/Kiritimati") }, // 22:30 on June 1: due
      { guildId: "none", config: { ...config("UTC"), channelId: null } },
    ];
    const lastPosted = new Map([["tokyo", "2026-06-01"]]);
    expect(dueGuilds(now, configs, lastPosted)).toEqual([
      { guildId: "lagos", date: "2026-06-01" },
      { guildId: "kolkata", date: "2026-06-01" },
      { guildId: "kiritimati", date: "2026-06-01" },
    ]);
  });
});

describe("nextPostAt", () => {
  it("GIVEN before today's post THEN today's; GIVEN after or already posted THEN tomorrow's, DST included", () => {
    const london = config("Europe/London");
    expect(new Date(nextPostAt(utc("2026-03-28T07:00:00Z"), london, null)).toISOString()).toBe(
      "2026-03-28T09:00:00.000Z",
    );
    expect(new Date(nextPostAt(utc("2026-03-28T10:00:00Z"), london, "2026-03-28")).toISOString()).toBe(
      "2026-03-29T08:00:00.000Z",
    );
    expect(new Date(nextPostAt(utc("2026-03-28T07:00:00Z"), london, "2026-03-28")).toISOString()).toBe(
      "2026-03-29T08:00:00.000Z",
    );
  });
});
