import type { APIEmbed, APIEmbedField } from "discord.js";

/**
 * An embed under construction: the fluent subset of discord.js's EmbedBuilder that the bot uses, without
 * its run-time validation. The builders check every setter against a schema (a rejected branch of a
 * `nullable` union builds an Error with a stack trace even when validation is disabled), which cost about
 * 0.1 ms of CPU per reply (`npm run bench`); src/discord/text.ts already cuts every field to Discord's
 * limits and the tests' local Discord server rejects anything over them. discord.js sends it through
 * `toJSON()` like any builder.
 */
export class Embed {
  readonly data: APIEmbed = {};

  setColor(color: number): this {
    this.data.color = color;
    return this;
  }

  setTitle(title: string): this {
    this.data.title = title;
    return this;
  }

  setDescription(description: string): this {
    this.data.description = description;
    return this;
  }

  setURL(url: string): this {
    this.data.url = url;
    return this;
  }

  setAuthor(author: { name: string; iconURL?: string; url?: string }): this {
    this.data.author = {
      name: author.name,
      ...(author.iconURL === undefined ? {} : { icon_url: author.iconURL }),
      ...(author.url === undefined ? {} : { url: author.url }),
    };
    return this;
  }

  setFooter(footer: { text: string; iconURL?: string }): this {
    this.data.footer = {
      text: footer.text,
      ...(footer.iconURL === undefined ? {} : { icon_url: footer.iconURL }),
    };
    return this;
  }

  setTimestamp(timestamp: number | Date = Date.now()): this {
    this.data.timestamp = new Date(timestamp).toISOString();
    return this;
  }

  addFields(...fields: APIEmbedField[]): this {
    this.data.fields = [...(this.data.fields ?? []), ...fields];
    return this;
  }

  /** Characters counted against Discord's 6,000 per message. */
  get length(): number {
    return embedLength(this.data);
  }

  toJSON(): APIEmbed {
    return { ...this.data };
  }
}

/** Total characters Discord counts toward an embed's 6,000 limit (title, description, fields, footer, author). */
export function embedLength(embed: APIEmbed): number {
  return (
    (embed.title?.length ?? 0) +
    (embed.description?.length ?? 0) +
    (embed.footer?.text.length ?? 0) +
    (embed.author?.name.length ?? 0) +
    (embed.fields ?? []).reduce((sum, field) => sum + field.name.length + field.value.length, 0)
  );
}
