import { describe, expect, it } from "vitest";
import { wholeNumberMap } from "../../src/store/schemas.js";

describe("wholeNumberMap", () => {
  const days = wholeNumberMap({ key: (key) => /^\d{4}-\d{2}-\d{2}$/.test(key), min: 1, message: "days" });
  const totals = wholeNumberMap({ min: 0, message: "totals" });

  it("GIVEN whole numbers at or above the minimum under allowed keys THEN the same object is returned", () => {
    const value = { "2026-03-10": 2, "2026-03-11": 1 };
    expect(days.parse(value)).toBe(value);
    expect(totals.parse({ a: 0, "300000000000000000": 12 })).toEqual({ a: 0, "300000000000000000": 12 });
    expect(totals.parse({})).toEqual({});
  });

  it("GIVEN a value below the minimum, fractional, unsafe, not a number, or a key not allowed THEN it fails with the message", () => {
    for (const value of [
      { "2026-03-10": 0 },
      { "2026-03-10": 1.5 },
      { "2026-03-10": 2 ** 53 },
      { "2026-03-10": "1" },
      { "2026-03-10": null },
      { "2026-3-10": 1 },
    ]) {
      const result = days.safeParse(value);
      expect(result.success, JSON.stringify(value)).toBe(false);
      expect(result.error?.issues[0]?.message).toBe("days");
    }
    expect(totals.safeParse({ a: -1 }).success).toBe(false);
  });

  it("GIVEN something that is not a plain map (array, null, string, inherited keys) THEN it fails", () => {
    for (const value of [[1, 2], null, "a", 3, undefined])
      expect(totals.safeParse(value).success).toBe(false);
    const inherited = Object.create({ a: 1 }) as Record<string, number>;
    expect(totals.safeParse(inherited).success).toBe(false);
  });
});
