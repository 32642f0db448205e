// /challenge end to end: the in-process bot (real discord.js client, real store) against the local Discord.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discordSender } from "../../src/challenge/discord.js";
import { type ChallengeDeps, createRunner, SendRefusedError, skipToday } from "../../src/challenge/post.js";
import { challengeKeys, EntrySchema, getState } from "../../src/challenge/records.js";
import { startTestBot, type TestBot } from "../support/bot.js";
import { FIXTURE_IDS, type JsonObject } from "../support/discord-server.js";

const NEXUS = FIXTURE_IDS.nexusChannelId;
const isChallengePost = (message: JsonObject) =>
  JSON.stringify(message.embeds ?? []).includes("Daily challenge ");

describe("/challenge end to end (in-process bot, local Discord)", () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot(); // 2026-11-22 10:00 UTC; the adopted guild posts at 09:00 UTC: due now
    await t.bot.ctx.jobs.runNow("challenge");
  });
  afterAll(async () => {
    await t?.stop();
  });

  const interact = (
    subcommand: string,
    options: Record<string, string | number | boolean> = {},
    admin = false,
  ) => t.server.interact({ commandName: "challenge", subcommand, options, admin }).reply();

  it("GIVEN a ready bot past post time THEN today's challenge is posted once, with a public thread", async () => {
    await t.bot.ctx.jobs.runNow("challenge");
    expect(t.server.messagesIn(NEXUS).filter(isChallengePost)).toHaveLength(1);
    expect(t.server.threadsIn(NEXUS)).toHaveLength(1);
    const posts = t.server
      .requestsTo("POST", /^\/channels\/\d+\/messages$/)
      .filter((r) => isChallengePost((r.body ?? {}) as JsonObject));
    expect(posts).toHaveLength(1);
    expect(posts[0]?.valid).toBe(true);
    expect(posts[0]?.body).toMatchObject({ enforce_nonce: true });
  });

  it("GIVEN /challenge post by an admin WHEN today is posted THEN nothing is posted twice", async () => {
    const reply = await interact("post", {}, true);
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toMatch(/already posted/);
    expect(t.server.messagesIn(NEXUS).filter(isChallengePost)).toHaveLength(1);
  });

  it("GIVEN a member WHEN /challenge post or /challenge skip THEN Manage Server is required", async () => {
    expect((await interact("post")).content).toMatch(/Manage Server/);
    expect((await interact("skip")).content).toMatch(/Manage Server/);
  });

  it("GIVEN /challenge today THEN the member sees the challenge ephemerally", async () => {
    const reply = await interact("today");
    expect(reply.ephemeral).toBe(true);
    const state = await getState(t.store, t.server.guildId);
    expect(state.current).toBe("2026-11-22");
    expect(JSON.stringify(reply.embeds)).toContain("Not submitted yet");
  });

  it("GIVEN a whitespace-only answer THEN an ephemeral error names the rule", async () => {
    const reply = await interact("submit", { answer: "   " });
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toMatch(/empty/);
  });

  it("GIVEN an answer full of mentions THEN the acknowledgement is ephemeral, pings nobody and the answer stays hidden", async () => {
    const answer = "@everyone <@123456789012345678> use select_related";
    const handle = t.server.interact({ commandName: "challenge", subcommand: "submit", options: { answer } });
    const reply = await handle.reply();
    expect(reply.ephemeral).toBe(true);
    expect(reply.wouldPing).toBe(false);
    expect(reply.content).toMatch(/Your answer is in/);
    expect(reply.content).not.toContain("select_related");
    expect(JSON.stringify(t.server.messagesIn(NEXUS))).not.toContain("select_related");
    const member = handle.payload.member as { user: { id: string } };
    const entry = await t.store.get(
      challengeKeys.entry(t.server.guildId, "2026-11-22", member.user.id),
      EntrySchema,
    );
    expect(entry?.answer).toBe(answer);
  });

  it("GIVEN /challenge hint early:true THEN the first hint is shown for fewer points", async () => {
    const reply = await interact("hint", { early: true });
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toMatch(/Hint 1 unlocked early/);
    expect(JSON.stringify(reply.embeds)).toContain("Hint 1");
  });

  it("GIVEN /challenge add with a bad field THEN the ephemeral error names the field", async () => {
    const reply = await interact(
      "add",
      {
        title: "Custom",
        topic: "Docker",
        difficulty: "easy",
        track: "backend",
        prompt: "too short",
        hint1: "a hint",
        answer: "A long enough model answer.",
      },
      true,
    );
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toContain("`prompt`");
    expect((await getState(t.store, t.server.guildId)).queue).toEqual([]);
  });

  it("GIVEN the topic option THEN autocomplete offers the curated topics", async () => {
    const choices = await t.server
      .interact({
        commandName: "challenge",
        subcommand: "add",
        focused: "topic",
        options: { topic: "dock" },
        admin: true,
      })
      .autocompleteChoices();
    expect(choices.map((choice) => choice.value)).toEqual(["Docker"]);
  });

  it("GIVEN /challenge settings and /challenge streak THEN both answer ephemerally", async () => {
    expect((await interact("settings", { hint_delay_hours: 2 }, true)).content).toMatch(/2 hours after/);
    const streak = await interact("streak");
    expect(streak.ephemeral).toBe(true);
    expect(streak.content).toMatch(/streak of/);
  });

  it("GIVEN a challenge title with an odd ** and a lone backtick WHEN /challenge add, skip and submit echo it in bold THEN its Markdown is escaped", async () => {
    const title = "Unpacking **kwargs in `get_queryset";
    const shown = "**Unpacking \\*\\*kwargs in \\`get\\_queryset**";
    const added = await interact(
      "add",
      {
        title,
        topic: "Django",
        difficulty: "easy",
        track: "backend",
        prompt: "Write a view whose get_queryset accepts **kwargs filters safely.",
        hint1: "Look at QuerySet.filter",
        answer: "Whitelist the keys, then filter(**clean).",
      },
      true,
    );
    // Raw, the title's "**" would close the bold and its backtick pair with the one before the id.
    expect(added.content).toContain(`Queued ${shown} as \`custom-1\``);
    expect((await interact("skip", {}, true)).content).toContain(`with ${shown}.`);
    expect((await interact("submit", { answer: "filter(**clean)" })).content).toContain(`for ${shown} (`);
  });

  it("GIVEN a channel where Discord refuses Nexus's message THEN the challenge sender reports a refusal: nothing was created", async () => {
    const sender = discordSender(t.bot.ctx.client);
    const payload = { embeds: [{ title: "Refused", footer: { text: "Refused test" } }] };
    const before = t.server.messagesIn(NEXUS).length;
    t.server.denyPermissions(NEXUS, { sendMessages: true });
    try {
      await expect(sender.send(t.server.guildId, NEXUS, payload, "refused-1")).rejects.toBeInstanceOf(
        SendRefusedError,
      );
    } finally {
      t.server.restorePermissions(NEXUS);
    }
    expect(t.server.messagesIn(NEXUS)).toHaveLength(before);
  });

  it("GIVEN /challenge skip whose replacement Discord has not taken yet WHEN a member runs /challenge today THEN the reply says the new one is being posted, not that none was", async () => {
    const outage: ChallengeDeps = {
      runner: createRunner(t.clock, "outage"),
      sender: {
        send: () => Promise.reject(new Error("503 Service Unavailable")),
        find: () => Promise.reject(new Error("503 Service Unavailable")),
      },
    };
    const skipped = await skipToday(t.store, t.clock, outage, t.server.guildId, "1");
    expect(skipped.status).toBe("failed");
    const reply = await interact("today");
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).not.toMatch(/No challenge has been posted/);
    expect(reply.content).toMatch(/replaced, and the new one is being posted/);
  });
});
