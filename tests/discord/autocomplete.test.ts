import { describe, expect, it } from "vitest";
import { rankChoices, timeZoneChoices } from "../../src/discord/autocomplete.js";
import { parseTimeZone } from "../../src/guild/config.js";

const values = (typed: string) => timeZoneChoices(typed).map((choice) => choice.value);

describe("autocomplete", () => {
  it("GIVEN a member types their city's current IANA name THEN the zone is offered under that name", () => {
    expect(values("Kolkata")).toEqual(["Asia/Kolkata"]);
    expect(values("kyiv")).toEqual(["Europe/Kyiv"]);
    expect(values("Ho Chi")).toEqual(["Asia/Ho_Chi_Minh"]);
    expect(values("Kathmandu")).toEqual(["Asia/Kathmandu"]);
  });

  it("GIVEN the zone's old name is typed THEN its current name is offered", () => {
    expect(values("Calcutta")).toEqual(["Asia/Kolkata"]);
    expect(values("asia/sai")).toEqual(["Asia/Ho_Chi_Minh"]);
  });

  it("GIVEN any offered zone THEN it is accepted as typed, and stored under that name", () => {
    for (const typed of ["", "asia/", "america/", "europe/", "pacific/", "africa/"]) {
      for (const zone of values(typed)) expect(parseTimeZone(zone)).toBe(zone);
    }
    expect(values("")[0]).toBe("UTC");
  });

  it("GIVEN topics THEN names that start with the text come before names that contain it", () => {
    const topics = ["Caching and Redis", "Redis Streams", "Docker"];
    expect(rankChoices(topics, "redis").map((choice) => choice.value)).toEqual([
      "Redis Streams",
      "Caching and Redis",
    ]);
  });
});
