import { describe, expect, it } from "vitest";
import { calendarStrip, computeStreak, fromDayNumber } from "../../src/journal/streak.js";
import { addDays } from "../../src/time.js";

/** `n` consecutive days starting at `start`. */
function run(start: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => addDays(start, i));
}

describe("computeStreak", () => {
  it("GIVEN no entries THEN everything is zero and the calendar is empty squares", () => {
    const streak = computeStreak([], "2026-03-14");
    expect(streak).toMatchObject({ current: 0, longest: 0, freezes: 0, activeDays: 0, lastDay: null });
    expect(streak.calendar).toHaveLength(14);
    expect(streak.calendar.at(-1)).toEqual({ day: "2026-03-14", status: "pending" });
    expect(calendarStrip(streak.calendar)).toBe(`${"⬛".repeat(13)}⬜`);
  });

  it("GIVEN entries on three consecutive days ending today THEN the current streak is 3", () => {
    const streak = computeStreak(run("2026-03-12", 3), "2026-03-14");
    expect(streak).toMatchObject({ current: 3, longest: 3, freezes: 0, activeDays: 3 });
    expect(calendarStrip(streak.calendar)).toBe(`${"⬛".repeat(11)}🟩🟩🟩`);
  });

  it("GIVEN several entries on one day and duplicates THEN the day counts once", () => {
    expect(computeStreak(["2026-03-14", "2026-03-14", "2026-03-13"], "2026-03-14").current).toBe(2);
  });

  it("GIVEN a streak up to yesterday and nothing today yet THEN it is still alive and today is pending", () => {
    const streak = computeStreak(run("2026-03-10", 4), "2026-03-14");
    expect(streak.current).toBe(4);
    expect(streak.calendar.at(-1)?.status).toBe("pending");
  });

  it("GIVEN a missed day without freezes THEN the streak restarts and the longest is kept", () => {
    const days = [...run("2026-03-01", 5), ...run("2026-03-07", 2)];
    const streak = computeStreak(days, "2026-03-08");
    expect(streak).toMatchObject({ current: 2, longest: 5, freezes: 0 });
    expect(streak.calendar.find((d) => d.day === "2026-03-06")?.status).toBe("missed");
  });

  it("GIVEN a streak that ended two days ago THEN the current streak is 0", () => {
    expect(computeStreak(run("2026-03-01", 5), "2026-03-07").current).toBe(0);
  });

  it("GIVEN 7 consecutive days THEN one freeze is earned, and 6 days earn none", () => {
    expect(computeStreak(run("2026-03-01", 7), "2026-03-07").freezes).toBe(1);
    expect(computeStreak(run("2026-03-01", 6), "2026-03-06").freezes).toBe(0);
  });

  it("GIVEN 35 consecutive days THEN at most 3 freezes are held", () => {
    const streak = computeStreak(run("2026-01-01", 35), "2026-02-04");
    expect(streak).toMatchObject({ current: 35, freezes: 3 });
  });

  it("GIVEN a freeze held WHEN a single day between entries is missed THEN the freeze bridges it", () => {
    const days = [...run("2026-03-01", 7), ...run("2026-03-09", 2)];
    const streak = computeStreak(days, "2026-03-10");
    expect(streak).toMatchObject({ current: 9, longest: 9, freezes: 0 });
    expect(streak.calendar.find((d) => d.day === "2026-03-08")?.status).toBe("frozen");
    expect(calendarStrip(streak.calendar)).toBe("⬛⬛⬛⬛🟩🟩🟩🟩🟩🟩🟩🧊🟩🟩");
  });

  it("GIVEN one freeze WHEN two days in a row are missed THEN the freeze is spent and the streak still breaks", () => {
    const days = [...run("2026-03-01", 7), ...run("2026-03-10", 1)];
    const streak = computeStreak(days, "2026-03-10");
    expect(streak).toMatchObject({ current: 1, longest: 7, freezes: 0 });
    expect(streak.calendar.find((d) => d.day === "2026-03-08")?.status).toBe("frozen");
    expect(streak.calendar.find((d) => d.day === "2026-03-09")?.status).toBe("missed");
  });

  it("GIVEN two freezes WHEN two days in a row are missed THEN both are spent and the streak survives", () => {
    const days = [...run("2026-03-01", 14), ...run("2026-03-17", 1)];
    const streak = computeStreak(days, "2026-03-17");
    expect(streak).toMatchObject({ current: 15, freezes: 0 });
  });

  it("GIVEN a freeze held and yesterday missed WHEN nothing is logged today yet THEN the streak is kept by the freeze", () => {
    const streak = computeStreak(run("2026-03-01", 7), "2026-03-09");
    expect(streak).toMatchObject({ current: 7, freezes: 0 });
    expect(streak.calendar.slice(-2).map((d) => d.status)).toEqual(["frozen", "pending"]);
  });

  it("GIVEN a freeze spent mid-streak THEN the next 7th day earns a new one", () => {
    // 7 days (earn), 1 frozen, 7 more days: 14 entry days in the streak → a second freeze.
    const days = [...run("2026-03-01", 7), ...run("2026-03-09", 7)];
    expect(computeStreak(days, "2026-03-15")).toMatchObject({ current: 14, freezes: 1 });
  });

  it("GIVEN entries across the end of a month and a leap day THEN days are consecutive", () => {
    expect(computeStreak(["2028-02-28", "2028-02-29", "2028-03-01"], "2028-03-01").current).toBe(3);
    expect(computeStreak(["2026-12-31", "2027-01-01"], "2027-01-01").current).toBe(2);
  });

  it("GIVEN an entry dated after today (the member moved west) THEN that day counts as today", () => {
    const streak = computeStreak(["2026-03-13", "2026-03-14", "2026-03-15"], "2026-03-14");
    expect(streak).toMatchObject({ current: 3, today: "2026-03-15" });
    expect(streak.calendar.at(-1)).toEqual({ day: "2026-03-15", status: "entry" });
  });

  it("GIVEN malformed days THEN they are ignored", () => {
    expect(computeStreak(["2026-02-30", "nope", "2026-03-14"], "2026-03-14").activeDays).toBe(1);
  });

  it("GIVEN days that are not calendar dates THEN only the real ones count", () => {
    const wrong = [
      "2025-02-29", // not a leap year
      "2100-02-29", // a century that is not a leap year
      "2026-04-31",
      "2026-13-01",
      "2026-00-10",
      "2026-03-00",
      "2026-3-14x",
      "2026/03/14",
      " 2026-03-14",
      "2026-03-14 ",
      "２０２６-03-14",
      "20a6-03-14",
      "",
    ];
    const streak = computeStreak([...wrong, "2024-02-29", "2000-02-29", "2026-03-14"], "2026-03-14");
    expect(streak).toMatchObject({ activeDays: 3, firstDay: "2000-02-29", lastDay: "2026-03-14" });
  });

  it("GIVEN any two consecutive days from 1900 to 2200 THEN they make a streak of 2 starting on the first", () => {
    const wrong: string[] = [];
    for (let n = -25_567; n <= 84_000; n++) {
      const day = fromDayNumber(n);
      const next = fromDayNumber(n + 1);
      const streak = computeStreak([day, next], next, 0);
      if (streak.current !== 2 || streak.firstDay !== day || streak.lastDay !== next) wrong.push(day);
    }
    expect(wrong).toEqual([]);
  });

  it("GIVEN a first entry ten years ago and a gap THEN the walk covers every day in between", () => {
    const streak = computeStreak(["2016-01-01", "2016-01-02", "2026-03-13", "2026-03-14"], "2026-03-14");
    expect(streak).toMatchObject({ current: 2, longest: 2, activeDays: 4, firstDay: "2016-01-01" });
  });

  it("GIVEN every day number from 1900 to 2200 and far years THEN fromDayNumber is Date's ISO date", () => {
    const iso = (n: number) => new Date(n * 86_400_000).toISOString().slice(0, 10);
    const wrong: string[] = [];
    const days = [-719_528, -719_162, 2_932_896, -800_000, 3_000_000];
    for (let n = -25_567; n <= 84_000; n++) days.push(n);
    for (const n of days)
      if (fromDayNumber(n) !== iso(n)) wrong.push(`${n}: ${fromDayNumber(n)} ≠ ${iso(n)}`);
    expect(wrong).toEqual([]);
    expect(fromDayNumber(20_414)).toBe("2025-11-22");
  });
});
