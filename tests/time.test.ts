import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import {
  addDays,
  canonicalTimeZone,
  daysBetween,
  localDate,
  utcOffsetMinutes,
  zonedInstant,
} from "../src/time.js";
import { seededRandom } from "./support/discord-http.js";

describe("time", () => {
  it("GIVEN an instant THEN its local date depends on the zone", () => {
    const instant = Date.UTC(2026, 10, 22, 23, 30);
    expect(localDate(instant, "UTC")).toBe("2026-11-22");
    expect(localDate(instant, "Africa/Lagos")).toBe("2026-11-23");
    expect(localDate(instant, "America/Los_Angeles")).toBe("2026-11-22");
  });

  it("GIVEN 09:00 in London across the October DST change THEN the instants move by an hour in UTC", () => {
    expect(new Date(zonedInstant("2026-10-24", "09:00", "Europe/London")).toISOString()).toBe(
      "2026-10-24T08:00:00.000Z",
    );
    expect(new Date(zonedInstant("2026-10-25", "09:00", "Europe/London")).toISOString()).toBe(
      "2026-10-25T09:00:00.000Z",
    );
  });

  it("GIVEN a wall time inside the spring-forward gap THEN it is moved past the gap", () => {
    const instant = zonedInstant("2026-03-08", "02:30", "America/New_York");
    expect(new Date(instant).toISOString()).toBe("2026-03-08T07:30:00.000Z");
  });

  it("GIVEN dates THEN days are added and counted across month and DST boundaries", () => {
    expect(addDays("2026-10-31", 1)).toBe("2026-11-01");
    expect(daysBetween("2026-03-01", "2026-04-01")).toBe(31);
    expect(daysBetween("2026-04-01", "2026-03-31")).toBe(-1);
  });

  it("GIVEN zone names in any case THEN the canonical spelling comes back, unknown ones are rejected", () => {
    expect(canonicalTimeZone("europe/paris")).toBe("Europe/Paris");
    expect(canonicalTimeZone("Mars/Olympus")).toBeUndefined();
    expect(utcOffsetMinutes(Date.UTC(2026, 0, 1), "Asia/Kolkata")).toBe(330);
  });

  it("GIVEN 20,000 seeded instants in zones with odd offsets and DST THEN localDate agrees with luxon", () => {
    const zones = [
      "UTC",
      "Africa/Lagos",
      "America/New_York",
      "America/St_Johns",
      "Europe/Paris",
      "Asia/Kolkata",
      "Asia/Kathmandu",
      "Australia/Lord_Howe",
      "Pacific/Chatham",
      "Pacific/Kiritimati",
      "Pacific/Niue",
    ];
    const random = seededRandom(20261122);
    const from = Date.UTC(1970, 0, 1);
    const to = Date.UTC(2100, 0, 1);
    const wrong: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const zone = zones[i % zones.length] ?? "UTC";
      // Half of them within a minute of a midnight, where a wrong offset shows.
      const base = from + Math.floor(random() * (to - from));
      const ms = i % 2 === 0 ? base : base - (base % 3_600_000) + Math.floor(random() * 120_000) - 60_000;
      const expected = DateTime.fromMillis(ms, { zone }).toISODate();
      if (localDate(ms, zone) !== expected) wrong.push(`${new Date(ms).toISOString()} in ${zone}`);
    }
    expect(wrong).toEqual([]);
  });

  it("GIVEN a zone Intl does not know THEN localDate still throws", () => {
    expect(() => localDate(Date.UTC(2026, 0, 1), "Mars/Olympus")).toThrow(/invalid zone/);
  });
});
