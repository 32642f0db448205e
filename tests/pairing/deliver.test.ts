import { describe, expect, it } from "vitest";
import { forEachLimited } from "../../src/pairing/deliver.js";

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("forEachLimited", () => {
  it("GIVEN 10 items and a limit of 3 THEN every item is handled once, never more than 3 at a time", async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await forEachLimited([...Array(10).keys()], 3, async (item) => {
      running += 1;
      most = Math.max(most, running);
      await turn();
      seen.push(item);
      running -= 1;
    });
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(most).toBe(3);
  });
});
