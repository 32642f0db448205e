import type { APIEmbed } from "discord.js";
import { describe, expect, it } from "vitest";
import { embedLength } from "../../src/discord/embed.js";
import {
  answerReply,
  expiryAnnouncements,
  followUpButtonId,
  followUpMessage,
  historyEmbed,
  introMessage,
  leftoverAnnouncements,
  noticeLines,
  parseFollowUpButtonId,
  statsEmbed,
  threadName,
} from "../../src/pairing/format.js";
import { MINI_PROJECTS } from "../../src/pairing/projects.js";
import { type Pair, PairSchema } from "../../src/pairing/schema.js";

const T0 = Date.UTC(2026, 0, 15, 12);
const GUILD = "123456789012345678";

function pair(extra: Partial<Pair> = {}): Pair {
  return PairSchema.parse({
    id: 4_294_967_295,
    backend: {
      user: "111111111111111111",
      topic: "Django ORM and query optimisation",
      note: `@everyone look <@222> ${"b".repeat(278)}`,
      tz: "America/Argentina/ComodRivadavia",
      requestedAt: T0,
    },
    frontend: {
      user: "222222222222222222",
      topic: "Authentication and JWT/OAuth2",
      note: "f".repeat(300),
      tz: "Africa/Lagos",
      requestedAt: T0,
    },
    createdAt: T0,
    via: "request",
    projectId: "snippet-vault",
    ...extra,
  });
}

function checkEmbed(embed: APIEmbed): void {
  expect(embed.title?.length ?? 0).toBeLessThanOrEqual(256);
  expect(embed.description?.length ?? 0).toBeLessThanOrEqual(4096);
  expect(embed.fields?.length ?? 0).toBeLessThanOrEqual(25);
  for (const field of embed.fields ?? []) {
    expect(field.name.length).toBeLessThanOrEqual(256);
    expect(field.value.length).toBeLessThanOrEqual(1024);
  }
  expect(embedLength(embed)).toBeLessThanOrEqual(6000);
}

describe("introduction", () => {
  it("GIVEN the longest notes, topics and projects THEN every limit holds and exactly the two members are pinged", () => {
    for (const project of MINI_PROJECTS) {
      const message = introMessage(pair(), project);
      expect(message.content?.length ?? 0).toBeLessThanOrEqual(2000);
      expect(message.allowedMentions).toEqual({ users: ["111111111111111111", "222222222222222222"] });
      const [embed] = (message.embeds ?? []).map((e) => ("toJSON" in e ? e.toJSON() : e) as APIEmbed);
      if (embed === undefined) throw new Error("no embed");
      checkEmbed(embed);
    }
  });

  it("GIVEN a note with mass mentions THEN they are neutralised in the embed", () => {
    const message = introMessage(pair(), MINI_PROJECTS[0] as (typeof MINI_PROJECTS)[number]);
    const json = JSON.stringify(message.embeds);
    expect(json).not.toContain("@everyone");
    expect(json).not.toContain("<@222>");
  });

  it("GIVEN long topics THEN the thread name fits 100 characters", () => {
    const name = threadName(pair());
    expect(name.length).toBeLessThanOrEqual(100);
    expect(name.startsWith("Pair #4294967295 · backend ↔ frontend")).toBe(true);
  });
});

describe("follow-up", () => {
  it("GIVEN a pair THEN the two buttons carry pair:met:<pairId> ids that parse back and fit 100 characters", () => {
    const message = followUpMessage(pair(), GUILD);
    const row = message.components?.[0];
    const json = row && "toJSON" in row ? row.toJSON() : row;
    const ids = (json as { components: Array<{ custom_id: string; label: string }> }).components.map((c) => [
      c.custom_id,
      c.label,
    ]);
    expect(ids).toEqual([
      [`pair:met:4294967295:yes:${GUILD}`, "We met"],
      [`pair:met:4294967295:no:${GUILD}`, "Not yet"],
    ]);
    for (const [id] of ids) expect((id as string).length).toBeLessThanOrEqual(100);
    expect(parseFollowUpButtonId(followUpButtonId(7, "yes", GUILD))).toEqual({
      pairId: 7,
      answer: "met",
      guildId: GUILD,
    });
    expect(parseFollowUpButtonId(followUpButtonId(7, "no", GUILD))?.answer).toBe("not_yet");
    expect(parseFollowUpButtonId("pair:met:7:maybe:1")).toBeNull();
    expect(parseFollowUpButtonId("pair:met:x:yes:1")).toBeNull();
    expect(message.content).toContain("/learn log");
    expect(message.allowedMentions).toEqual({ users: ["111111111111111111", "222222222222222222"] });
  });

  it("GIVEN a pair introduced by DM (no thread) WHEN a member answers 'Not yet' THEN the reply does not send them to a thread", () => {
    const byDm = pair({ delivery: { state: "dm", at: T0, channelId: null, threadId: null, attempts: 0 } });
    expect(answerReply(byDm, "not_yet", false)).not.toContain("thread");
    expect(answerReply(byDm, "not_yet", false)).toContain("suggest a slot to your partner");
    const inThread = pair({
      delivery: { state: "private", at: T0, channelId: "1", threadId: "9".repeat(19), attempts: 0 },
    });
    expect(answerReply(inThread, "not_yet", false, "9".repeat(19))).toContain("suggest a slot in the thread");
  });

  it("GIVEN a pair whose thread is gone, so its follow-up came by DM WHEN a member answers 'Not yet' in that DM THEN the reply does not send them to the thread", () => {
    const threadGone = pair({
      delivery: { state: "private", at: T0, channelId: "1", threadId: "9".repeat(19), attempts: 0 },
      followUpSentAt: T0,
    });
    const dmChannel = "8".repeat(19);
    expect(answerReply(threadGone, "not_yet", false, dmChannel)).not.toContain("thread");
    expect(answerReply(threadGone, "not_yet", false, dmChannel)).toContain("suggest a slot to your partner");
  });
});

describe("replies", () => {
  it("GIVEN 1,000 leftovers THEN announcements fit 2,000 characters and 100 mentions each, at most 5 messages", () => {
    const users = Array.from({ length: 1000 }, (_, i) => String(100000000000000000n + BigInt(i)));
    const messages = leftoverAnnouncements(users, 12);
    expect(messages.length).toBe(5);
    for (const message of messages) {
      expect(message.content?.length ?? 0).toBeLessThanOrEqual(2000);
      const mentioned = (message.allowedMentions?.users ?? []) as string[];
      expect(mentioned.length).toBeLessThanOrEqual(100);
      for (const id of mentioned) expect(message.content).toContain(`<@${id}>`);
    }
    expect(leftoverAnnouncements([], 3)).toEqual([]);
  });

  it("GIVEN expired requests THEN the announcement names and pings exactly those members and says how to ask again", () => {
    const users = ["111111111111111111", "222222222222222222"];
    const [message, ...rest] = expiryAnnouncements(users, 7);
    expect(rest).toEqual([]);
    expect(message?.content).toMatch(/^⌛ These pairing requests expired after 7 days without a match/);
    expect(message?.content).toContain("`/pair request`");
    for (const id of users) expect(message?.content).toContain(`<@${id}>`);
    expect(message?.allowedMentions).toEqual({ users });
    expect(expiryAnnouncements(["111111111111111111"], 1)[0]?.content).toContain("after 1 day without");
    expect(expiryAnnouncements([], 7)).toEqual([]);
  });

  it("GIVEN 20 long history lines THEN the history embed fits its limits", () => {
    const items = Array.from({ length: 20 }, (_, i) => ({
      pair: pair({
        id: i + 1,
        delivery: { state: "private", at: T0, channelId: "1", threadId: "9".repeat(19), attempts: 0 },
      }),
      role: "backend" as const,
      partner: "222222222222222222",
    }));
    const embed = historyEmbed({ items, total: 40, notices: [] }, "111111111111111111").toJSON();
    checkEmbed(embed);
    expect(embed.footer?.text).toBe("Showing the latest 20 of 40.");
    expect(embed.description).toContain("with <@222222222222222222> (frontend)");
  });

  it("GIVEN stats THEN the met rate is shown next to the count", () => {
    const embed = statsEmbed({
      stats: { requests: 10, matches: 4, met: 3, expired: 1, cancelled: 0, departed: 0, rounds: 1 },
      waiting: { backend: 1, frontend: 0, paused: 0 },
      settings: { recencyDays: 28, expiryDays: 7, updatedAt: 0, updatedBy: null },
      followUpsPending: 2,
    }).toJSON();
    expect(embed.fields?.find((f) => f.name === "Pairs that met")?.value).toBe("3 (75%)");
    checkEmbed(embed);
  });

  it("GIVEN each notice kind THEN each gets a sentence", () => {
    const lines = noticeLines([
      { kind: "expired", at: T0, role: "backend" },
      { kind: "partner-left", at: T0, pairId: 3 },
      { kind: "left-over", at: T0 },
    ]);
    expect(lines[0]).toContain("(backend) expired");
    expect(lines[1]).toContain("pair #3 left the server");
    expect(lines[2]).toContain("still in the queue");
  });
});
