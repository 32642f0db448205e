import { describe, expect, it } from "vitest";
import { charLength, checkEmbeds } from "./discord-validation.js";

/** Code points as the spec counts them: what iterating the string yields. */
const codePoints = (value: string) => [...value].length;

describe("charLength", () => {
  it("GIVEN text without surrogates THEN it counts UTF-16 units (one per character)", () => {
    for (const text of ["", "ok", "Journal search: redis · cache", "é—…·", "x".repeat(4096)]) {
      expect(charLength(text)).toBe(codePoints(text));
      expect(charLength(text)).toBe(text.length);
    }
  });

  it("GIVEN emoji and other astral characters THEN each counts once, as Discord counts them", () => {
    const text = "📘 #1 · 🔥 3-day streak · 🧊 1 · 𝔘𝔫𝔦𝔠𝔬𝔡𝔢";
    expect(charLength(text)).toBe(codePoints(text));
    expect(charLength("🟩".repeat(14))).toBe(14);
  });

  it("GIVEN lone or reversed surrogates THEN each counts once, like iteration does", () => {
    for (const text of ["\uD83D", "a\uD83D", "\uDE00b", "\uDE00\uD83D", "\uD83D\uD83D\uDE00", "x\uD83D"]) {
      expect(charLength(text)).toBe(codePoints(text));
    }
  });

  it("GIVEN random strings of units from every range THEN it agrees with iteration", () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    const pool = [0x61, 0xe9, 0x2014, 0xd83d, 0xdc00, 0xde00, 0xdbff, 0xdfff, 0xfffd];
    for (let round = 0; round < 500; round++) {
      const units = Array.from({ length: next() % 12 }, () => pool[next() % pool.length] ?? 0x61);
      const text = String.fromCharCode(...units);
      expect(charLength(text)).toBe(codePoints(text));
    }
  });
});

describe("checkEmbeds", () => {
  it("GIVEN embed URLs THEN Discord's refusals are mirrored: no domain, an underscore in the host, not http(s)", () => {
    const codes = (url: string) => checkEmbeds([{ title: "t", url }]).map((issue) => issue.code);
    expect(codes("https://docs.djangoproject.com/en/stable/")).toEqual([]);
    expect(codes("http://127.0.0.1:8000/admin")).toEqual([]);
    expect(codes("http://web:8000/api")).toEqual(["URL_TYPE_INVALID_URL"]);
    expect(codes("https://my_site.example.com/")).toEqual(["URL_TYPE_INVALID_URL"]);
    expect(codes("steam://rungameid/730")).toEqual(["URL_TYPE_INVALID_SCHEME"]);
  });

  it("GIVEN a description of 4,096 emoji THEN it is within the limit, and one more is over it", () => {
    expect(checkEmbeds([{ description: "🔥".repeat(4096) }])).toEqual([]);
    expect(checkEmbeds([{ description: "🔥".repeat(4097) }]).map((issue) => issue.code)).toContain(
      "BASE_TYPE_MAX_LENGTH",
    );
  });
});
