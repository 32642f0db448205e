import { describe, expect, it } from "vitest";
import { z } from "zod";
import { atMostChars, charLength } from "../../src/discord/text.js";

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

  it("GIVEN bounds THEN atMostChars agrees with the count on both sides of them", () => {
    for (const text of ["", "abc", "🙂🙂🙂", "a🙂", "🙂".repeat(10), "x".repeat(20)]) {
      for (let bound = 0; bound <= 22; bound++) {
        expect(atMostChars(text, bound)).toBe(charLength(text) <= bound);
      }
    }
  });

  it("GIVEN zod's string length checks THEN they count code points too (what the stored-record schemas rely on)", () => {
    expect(z.string().max(3).safeParse("🙂🙂🙂").success).toBe(true);
    expect(z.string().max(3).safeParse("🙂🙂🙂🙂").success).toBe(false);
    expect(z.string().min(3).safeParse("🙂🙂").success).toBe(false);
    expect(z.string().min(3).safeParse("🙂🙂🙂").success).toBe(true);
  });
});
