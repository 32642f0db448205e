import { MessagePayload } from "discord.js";
import { describe, expect, it } from "vitest";
import { Embed } from "../../src/discord/embed.js";

describe("Embed", () => {
  it("GIVEN every setter THEN toJSON is the Discord API embed", () => {
    const embed = new Embed()
      .setColor(0x3b82f6)
      .setTitle("#1 · Django")
      .setDescription("ORM select_related")
      .setURL("https://example.com/")
      .setAuthor({ name: "ada", iconURL: "https://cdn.example.com/a.png" })
      .setFooter({ text: "📘 Learning" })
      .setTimestamp(Date.UTC(2026, 10, 22, 9, 0))
      .addFields({ name: "Link", value: "[example.com](https://example.com/)" })
      .addFields({ name: "More", value: "x", inline: true });
    expect(embed.toJSON()).toEqual({
      color: 0x3b82f6,
      title: "#1 · Django",
      description: "ORM select_related",
      url: "https://example.com/",
      author: { name: "ada", icon_url: "https://cdn.example.com/a.png" },
      footer: { text: "📘 Learning" },
      timestamp: "2026-11-22T09:00:00.000Z",
      fields: [
        { name: "Link", value: "[example.com](https://example.com/)" },
        { name: "More", value: "x", inline: true },
      ],
    });
  });

  it("GIVEN text in every counted part THEN length is what Discord counts against 6,000", () => {
    const embed = new Embed()
      .setTitle("ab")
      .setDescription("cde")
      .addFields({ name: "f", value: "gh" })
      .setFooter({ text: "ijkl" })
      .setAuthor({ name: "m" })
      .setURL("https://not-counted.example/");
    expect(embed.length).toBe(2 + 3 + 1 + 2 + 4 + 1);
  });

  it("GIVEN an Embed in a reply THEN discord.js sends its JSON as is", () => {
    const embed = new Embed().setTitle("t").setDescription("d");
    const payload = new MessagePayload({ client: { options: {} } } as never, {
      embeds: [embed],
    }).resolveBody();
    expect((payload.body as { embeds: unknown[] }).embeds).toEqual([{ title: "t", description: "d" }]);
  });
});
