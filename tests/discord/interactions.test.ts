import { ActionRowBuilder, ButtonBuilder, ButtonStyle } from "discord.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GIVE_BACK_MIN_CHARS } from "../../src/discord/interactions.js";
import { startTestBot, type TestBot } from "../support/bot.js";
import { FIXTURE_IDS } from "../support/discord-server.js";

describe("a refused command gives back what was typed (in-process bot, local Discord)", () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const log = (options: Record<string, string>) =>
    t.server.interact({ commandName: "learn", subcommand: "log", options }).reply();
  const long = `Django signals: post_save fires after the row is written, so <@1> ${"and inside the transaction ".repeat(8)}`;

  it("GIVEN a long entry refused for its link THEN the ephemeral error carries the typed options in code blocks", async () => {
    const reply = await log({ topic: "Django", text: long, link: "docs.djangoproject.com/en/stable/" });
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toMatch(/^A link must be an http\(s\) URL/);
    expect(reply.content).toContain(`**text**\n\`\`\`\n${long}\n\`\`\``);
    expect(reply.content).toContain("**link**\n```\ndocs.djangoproject.com/en/stable/\n```");
    expect(reply.wouldPing).toBe(false);
    expect(reply.content.length).toBeLessThanOrEqual(2000);
  });

  it("GIVEN only short texts THEN the error stands alone (they are quick to type again)", async () => {
    const reply = await log({ topic: "Djanog", text: "x".repeat(GIVE_BACK_MIN_CHARS - 1) });
    expect(reply.content).toMatch(/not one of the program's topics/);
    expect(reply.content).not.toContain("What you typed");
  });

  it("GIVEN typed text with a code fence THEN it comes back whole as a text file", async () => {
    const fenced = `Use this:\n\`\`\`py\nclass Meta:\n    ordering = ["-created"]\n\`\`\`\n${"and more. ".repeat(10)}`;
    const reply = await log({ topic: "Djanog", text: fenced });
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toContain("What you typed is in the file below");
    expect(reply.attachments[0]?.filename).toBe("what-you-typed.txt");
    expect(reply.attachments[0]?.text).toBe(`topic:\nDjanog\n\ntext:\n${fenced}\n`);
  });

  it("GIVEN every request the bot made THEN all were valid and none could ping", () => {
    const invalid = t.server.requests.filter((r) => !r.valid);
    expect(invalid.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.errors)}`)).toEqual([]);
    expect(t.server.requests.filter((r) => r.wouldPing)).toEqual([]);
  });
});

describe("interactions while the bot shuts down", () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("GIVEN the bot draining for shutdown WHEN a member runs a command or presses a button THEN each is told Nexus is restarting", async () => {
    const channel = await t.bot.client.channels.fetch(FIXTURE_IDS.nexusChannelId);
    if (!channel?.isSendable()) throw new Error("the Nexus channel is not sendable");
    const button = new ButtonBuilder()
      .setCustomId("pair:met:1:yes:x")
      .setLabel("Yes")
      .setStyle(ButtonStyle.Success);
    await channel.send({
      content: "Did you meet?",
      components: [new ActionRowBuilder<ButtonBuilder>().addComponents(button)],
    });
    await t.bot.ctx.inflight.drain(0);
    const command = await t.server.interact({ commandName: "learn", subcommand: "stats" }).reply();
    const pressed = await t.server
      .interact({ channelId: FIXTURE_IDS.nexusChannelId, customId: "pair:met:1:yes:x" })
      .reply();
    for (const reply of [command, pressed]) {
      expect(reply.ephemeral).toBe(true);
      expect(reply.content).toBe("Nexus is restarting; try again in a few seconds.");
    }
  });

  it("GIVEN the bot draining for shutdown WHEN a member sends a long /learn log THEN the refusal gives the text back", async () => {
    await t.bot.ctx.inflight.drain(0);
    const text = `Django's select_related joins the foreign key in one query; ${"prefetch_related runs a second one. ".repeat(3)}`;
    const reply = await t.server
      .interact({ commandName: "learn", subcommand: "log", options: { topic: "Django", text } })
      .reply();
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toContain("Nexus is restarting; try again in a few seconds.");
    expect(reply.content).toContain("What you typed, to use again:");
    expect(reply.content).toContain(`**text**\n\`\`\`\n${text}\n\`\`\``);
  });
});
