import { describe, expect, it } from "vitest";
import { parseTopic } from "../src/topics.js";

/** A lone surrogate: with the u flag, the class matches only a half of a pair, never a whole one. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function refusal(input: string): string {
  try {
    parseTopic(input);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${input} was accepted`);
}

describe("parseTopic", () => {
  it("GIVEN an unknown topic with emoji where its echo is cut WHEN refused THEN no emoji is cut in half", () => {
    for (let k = 0; k < 4; k++) {
      const message = refusal(`${"x".repeat(k)}${"😀".repeat(100)}`);
      expect(message).toMatch(/…” is not one of the program's topics/);
      expect(message).not.toMatch(LONE_SURROGATE);
    }
  });

  it("GIVEN an unknown topic with Markdown WHEN refused THEN the echo is escaped, not a code span it could end", () => {
    expect(refusal("`Cobol` **legacy")).toMatch(
      /^“\\`Cobol\\` \\\*\\\*legacy” is not one of the program's topics/,
    );
  });
});
