import { describe, expect, it } from "vitest";
import { z } from "zod";
import { atMostChars, charLength, inlineText } from "../../src/discord/text.js";

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

describe("inlineText (user text as one line among others)", () => {
  /** What is left unescaped of a Markdown character: an odd count of them pairs with the next line's. */
  const raw = (text: string, char: string) =>
    (text.replace(/\\[\s\S]/g, "").match(new RegExp(`\\${char}`, "g")) ?? []).length;

  it("GIVEN runs of asterisks and backticks (which discord.js's escapeMarkdown leaves partly raw) THEN none is left unescaped", () => {
    const text = inlineText("a *************** b **kwargs `x` ```` y ~~z|| [link](https://e.x)", 500);
    for (const char of ["*", "`", "~", "|", "[", "]"]) expect(raw(text, char)).toBe(0);
    expect(text).toContain("\\*\\*kwargs");
  });

  it("GIVEN a raw link THEN its * and _ are kept (an escape would change it) and its brackets escaped", () => {
    expect(inlineText("see https://ex.com/a_b*c[1] for _this_", 200)).toBe(
      "see https://ex.com/a_b*c\\[1\\] for \\_this\\_",
    );
  });

  it("GIVEN a line start THEN heading, list and quote markers are escaped only there", () => {
    expect(inlineText("# Title - not a list", 100, { lineStart: true })).toBe("\\# Title - not a list");
    expect(inlineText("- item", 100, { lineStart: true })).toBe("\\- item");
    expect(inlineText("> quote", 100, { lineStart: true })).toBe("\\> quote");
    expect(inlineText("12. twelve", 100, { lineStart: true })).toBe("12\\. twelve");
    expect(inlineText("# Title", 100)).toBe("# Title");
  });

  it("GIVEN text cut to a length THEN it fits, with the cut between escapes, and mentions do not look like pings", () => {
    for (let max = 2; max < 40; max++) {
      const text = inlineText("**bold** and `code` <@123> @everyone ".repeat(3), max);
      expect(text.length).toBeLessThanOrEqual(max);
      expect(text.replace(/\\[\s\S]/g, "")).not.toMatch(/\\/);
    }
    expect(inlineText("<@123> @everyone", 100)).toBe("<@\u200b123> @\u200beveryone");
  });
});
