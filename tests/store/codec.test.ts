import { defaultDeserialize, defaultSerialize } from "@keyv/serialize";
import { describe, expect, it } from "vitest";
import { deserialize, serialize } from "../../src/store/codec.js";
import { seededRandom } from "../support/discord-http.js";

const STRINGS = [
  "",
  ":",
  "::",
  ":x",
  "::x",
  ":base64:AAE=",
  "a:b",
  'say "::" here',
  "é🎉",
  "\u0000\n\t",
  "\ud800",
];

function randomValue(random: () => number, depth = 0): unknown {
  const pick = Math.floor(random() * (depth > 3 ? 5 : 8));
  switch (pick) {
    case 0:
      return STRINGS[Math.floor(random() * STRINGS.length)];
    case 1:
      return Math.floor(random() * 2_000_000) - 1_000_000 + (random() < 0.3 ? 0.5 : 0);
    case 2:
      return random() < 0.5;
    case 3:
      return random() < 0.5 ? null : undefined;
    case 4:
      return `${random() < 0.5 ? ":" : ""}text ${Math.floor(random() * 100)}`;
    case 5:
      return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = Math.floor(random() * 5); i > 0; i--) {
        const key = random() < 0.2 ? `:k${i}` : `k${i}`;
        object[key] = randomValue(random, depth + 1);
      }
      return object;
    }
  }
}

describe("store codec", () => {
  it("GIVEN 5,000 random records THEN it writes the same text as keyv's default and reads it back the same", () => {
    const random = seededRandom(20261122);
    for (let i = 0; i < 5_000; i++) {
      const data = { value: randomValue(random), expires: undefined };
      const text = serialize(data);
      expect(text, `case ${i}`).toBe(defaultSerialize(data));
      expect(deserialize(text), `case ${i}`).toEqual(defaultDeserialize(text));
    }
  });

  it("GIVEN a string that starts with ':' THEN it round-trips unchanged (stored escaped, as keyv does)", () => {
    const data = { value: { text: ":smile: works", list: [":a", "b"] }, expires: undefined };
    const text = serialize(data);
    expect(text).toContain('"::smile: works"');
    expect(deserialize(text)).toEqual({ value: { text: ":smile: works", list: [":a", "b"] } });
  });

  it("GIVEN values that are not plain JSON data THEN it matches the default codec too", () => {
    for (const value of [new Date(Date.UTC(2026, 10, 22)), Buffer.from([0, 1, 2]), { toJSON: () => ":x" }]) {
      const data = { value, expires: undefined };
      expect(serialize(data)).toBe(defaultSerialize(data));
    }
    const buffer = serialize({ value: Buffer.from("hi"), expires: undefined });
    expect((deserialize(buffer) as { value: Buffer }).value.toString()).toBe("hi");
  });
});
