import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  type ClientOptions,
  MessageFlags,
  MessagePayload,
  type MessagePayloadOption,
} from "discord.js";
import { describe, expect, it } from "vitest";
import { replyOptions } from "../../bench/echo.js";
import { Embed } from "../../src/discord/embed.js";

/**
 * The body discord.js builds for `reply(options)` by a client with these options (MessagePayload is what
 * `reply()` runs), as the local Discord server records it: JSON, undefined fields gone.
 */
function body(options: MessagePayloadOption, client: Partial<ClientOptions>): Record<string, unknown> {
  const target = { client: { options: client } } as unknown as ConstructorParameters<
    typeof MessagePayload
  >[0];
  const payload = new MessagePayload(target, options).resolveBody();
  return JSON.parse(JSON.stringify(payload.body)) as Record<string, unknown>;
}

/** Nexus's client default (src/bot.ts); the floor's client has none. */
const NEXUS_CLIENT: Partial<ClientOptions> = { allowedMentions: { parse: [], repliedUser: false } };

describe("echo floor answers", () => {
  it("GIVEN Nexus's recorded answer with an embed, buttons and flags THEN the floor's client builds the same body", () => {
    const embed = new Embed()
      .setTitle("Journal search: sql")
      .setColor(0x8b5cf6)
      .setDescription("**#12** · 📘 sql · <@1> · <t:1700000000:d>\n> joins and indexes")
      .addFields({ name: "Link", value: "[example.com](https://example.com)" })
      .setFooter({ text: "1 best match, most relevant first" });
    const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder().setCustomId("page:2").setLabel("Next").setStyle(ButtonStyle.Secondary),
    );
    const nexus = body({ embeds: [embed], components: [row], flags: MessageFlags.Ephemeral }, NEXUS_CLIENT);
    expect(nexus.allowed_mentions).toEqual({ parse: [], replied_user: false });

    const echo = body(replyOptions(nexus), {});

    expect(echo).toEqual(nexus);
  });

  it("GIVEN a public answer with content only THEN content and allowed mentions come through", () => {
    const nexus = body({ content: "You are paired with <@2>!" }, NEXUS_CLIENT);

    expect(body(replyOptions(nexus), {})).toEqual(nexus);
  });

  it("GIVEN an answer with a field the echo floor cannot rebuild THEN it refuses instead of sending less", () => {
    expect(() => replyOptions({ content: "x", poll: { question: { text: "?" } } })).toThrow(/poll/);
  });
});
