import { describe, expect, it } from "vitest";
import { atLeastChars, atMostChars, charLength, chars } from "../../src/discord/text.js";

describe("charLength (characters as Discord counts them: code points)", () => {
  it("GIVEN text with emoji and other characters outside the BMP THEN each counts once", () => {
    expect(charLength("")).toBe(0);
    expect(charLength("plain ascii")).toBe(11);
    expect(charLength("é界")).toBe(2);
    expect(charLength("🙂")).toBe(1);
    expect(charLength("a🙂b🐍c")).toBe(5);
    expect(charLength("🙂".repeat(1_000))).toBe([..."🙂".repeat(1_000)].length);
  });

  it("GIVEN lone surrogates THEN each counts as one, as a code point would", () => {
    expect(charLength("\ud83d")).toBe(1);
    expect(charLength("a\ude42b")).toBe(3);
    expect(charLength("\ude42\ud83d")).toBe(2);
    expect(charLength("\ud83d\ud83d\ude42")).toBe(2);
  });

  it("GIVEN bounds THEN atMostChars and atLeastChars agree with the count on both sides of them", () => {
    for (const text of ["", "abc", "🙂🙂🙂", "a🙂", "🙂".repeat(10), "x".repeat(20)]) {
      for (let bound = 0; bound <= 22; bound++) {
        expect(atMostChars(text, bound)).toBe(charLength(text) <= bound);
        expect(atLeastChars(text, bound)).toBe(charLength(text) >= bound);
      }
    }
  });

  it("GIVEN a chars schema THEN it accepts by code points and refuses outside them with the rule", () => {
    const schema = chars(2, 3);
    expect(schema.parse("🙂🙂🙂")).toBe("🙂🙂🙂");
    expect(schema.safeParse("🙂").error?.issues[0]?.message).toBe("must be at least 2 characters");
    expect(schema.safeParse("🙂🙂🙂🙂").error?.issues[0]?.message).toBe("must be at most 3 characters");
  });
});
