import { Embed } from "../discord/embed.js";
import { inlineText, LIMITS, maskedLink, sanitize, truncate } from "../discord/text.js";
import { PAGE_SIZE } from "./entries.js";
import type { Entry, EntryKind } from "./records.js";
import type { WeeklyStats } from "./stats.js";
import { CALENDAR_DAYS, calendarStrip, FREEZE_EVERY, MAX_FREEZES, type StreakSummary } from "./streak.js";

/**
 * The journal's embeds. Every builder here fits Discord's limits whatever the data: each listed entry
 * gets a fixed share of the description, user text is sanitised and truncated, titles are cut.
 */

const KIND_STYLE: Record<EntryKind, { label: string; emoji: string; color: number }> = {
  learning: { label: "Learning", emoji: "📘", color: 0x3b82f6 },
  challenge: { label: "Challenge", emoji: "🧗", color: 0xf97316 },
  solution: { label: "Solution", emoji: "✅", color: 0x22c55e },
  "best-practice": { label: "Best practice", emoji: "⭐", color: 0xeab308 },
};

/** Characters of the description one listed entry may use (10 blocks + separators fit in 4,096). */
export const BLOCK_BUDGET = Math.floor((LIMITS.embedDescription - PAGE_SIZE) / PAGE_SIZE);

const unix = (ms: number) => Math.floor(ms / 1000);

function hostOf(link: string): string {
  try {
    return new URL(link).hostname;
  } catch {
    return "link";
  }
}

/** A host name Discord takes in an embed's URL: dotted labels of letters, digits and hyphens, a real TLD. */
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9]{1,59})\.?$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * Whether Discord takes `link` as an embed's URL. Its API refuses a host without a domain
 * (`http://web:8000`, a Docker service) or with an underscore ("Not a well formed URL"), and with it the
 * whole reply, though the link is valid and opens in a browser; an IP address is taken. `localhost` is
 * left out too (it opens on its author's machine only). Such a link is still shown in the Link field.
 */
function isEmbedUrl(link: string): boolean {
  const host = hostOf(link);
  return DOMAIN.test(host) || IPV4.test(host) || host.startsWith("[");
}

/** An entry's link, shown as its host. */
function hostLink(link: string): string {
  return maskedLink(hostOf(link), link);
}

/**
 * Blocks at the default budget, per entry object: snapshot entries are immutable (an edit makes a new
 * object), and a search or a page lists the same few entries again and again.
 */
const blocks = new WeakMap<Entry, string>();

/** One entry as a compact block of at most `budget` characters: header line, quoted text, link. */
export function entryBlock(entry: Entry, budget: number = BLOCK_BUDGET): string {
  if (budget !== BLOCK_BUDGET) return renderBlock(entry, budget);
  let block = blocks.get(entry);
  if (block === undefined) {
    block = renderBlock(entry, budget);
    blocks.set(entry, block);
  }
  return block;
}

/**
 * Entry text for a one-line block, its Markdown escaped (src/discord/text.ts inlineText): blocks are joined
 * into one description, so a marker the text leaves open (the odd `**` of `**kwargs`, a code span cut by
 * the budget) would pair with the next block's and run bold or code across entries. The text starts a
 * quoted line, where Discord renders headings and lists, so their markers are escaped too.
 */
function blockText(text: string, max: number): string {
  return inlineText(text, max, { lineStart: true });
}

/**
 * The pairing an entry is tagged with (`/learn log … pair:N`, as the pairing follow-up asks), or null.
 * The command stores a number; the schema allows any short string, so it is cleaned like user text.
 */
function pairTag(entry: Entry): string | null {
  return entry.pairingId === null ? null : `🤝 pair #${inlineText(entry.pairingId, 100)}`;
}

function renderBlock(entry: Entry, budget: number): string {
  const style = KIND_STYLE[entry.kind];
  const pair = pairTag(entry);
  const header =
    `**#${entry.id}** · ${style.emoji} ${entry.topic} · <@${entry.authorId}> · <t:${unix(entry.createdAt)}:d>` +
    `${pair === null ? "" : ` · ${pair}`}${entry.private ? " · 🔒" : ""}${entry.editedAt === null ? "" : " · edited"}`;
  let link = entry.link === null ? "" : `\n🔗 ${hostLink(entry.link)}`;
  const room = (withLink: string) => budget - header.length - withLink.length - 3;
  if (room(link) < 80) link = "";
  const text = blockText(entry.text, Math.max(1, room(link)));
  return truncate(`${header}\n> ${text}${link}`, budget);
}

export function entryEmbed(
  entry: Entry,
  options: {
    authorName: string;
    authorIcon?: string | null;
    streak?: Pick<StreakSummary, "current" | "freezes">;
  },
): Embed {
  const style = KIND_STYLE[entry.kind];
  const embed = new Embed()
    .setColor(style.color)
    .setAuthor({
      name: truncate(sanitize(options.authorName, { oneLine: true }) || "someone", LIMITS.embedAuthor),
      ...(options.authorIcon ? { iconURL: options.authorIcon } : {}),
    })
    .setTitle(truncate(`#${entry.id} · ${entry.topic}`, LIMITS.embedTitle))
    .setDescription(truncate(sanitize(entry.text), LIMITS.embedDescription))
    .setTimestamp(entry.createdAt);
  if (entry.link !== null) {
    if (isEmbedUrl(entry.link)) embed.setURL(entry.link);
    embed.addFields({ name: "Link", value: truncate(hostLink(entry.link), LIMITS.embedFieldValue) });
  }
  const footer = [`${style.emoji} ${style.label}`];
  const pair = pairTag(entry);
  if (pair !== null) footer.push(pair);
  if (entry.private) footer.push("🔒 private");
  if (entry.editedAt !== null) footer.push("edited");
  if (options.streak !== undefined && options.streak.current > 0) {
    footer.push(`🔥 ${options.streak.current}-day streak`);
    if (options.streak.freezes > 0) footer.push(`🧊 ${options.streak.freezes}`);
  }
  return embed.setFooter({ text: truncate(footer.join(" · "), LIMITS.embedFooter) });
}

export function listEmbed(
  page: { entries: readonly Entry[]; page: number; pages: number; total: number },
  title: string,
): Embed {
  const embed = new Embed().setColor(0x3b82f6).setTitle(truncate(title, LIMITS.embedTitle));
  embed.setDescription(
    page.entries.length === 0
      ? "No entries yet. Start with `/learn log`."
      : truncate(page.entries.map((entry) => entryBlock(entry)).join("\n"), LIMITS.embedDescription),
  );
  return embed.setFooter({
    text: `page ${page.page} of ${page.pages} · ${page.total.toLocaleString("en-US")} ${page.total === 1 ? "entry" : "entries"}`,
  });
}

export function searchEmbed(results: ReadonlyArray<{ entry: Entry }>, query: string): Embed {
  return new Embed()
    .setColor(0x8b5cf6)
    .setTitle(truncate(`Journal search: ${sanitize(query, { oneLine: true })}`, LIMITS.embedTitle))
    .setDescription(
      truncate(results.map(({ entry }) => entryBlock(entry)).join("\n"), LIMITS.embedDescription),
    )
    .setFooter({
      text: `${results.length} best ${results.length === 1 ? "match" : "matches"}, most relevant first`,
    });
}

function days(n: number): string {
  return `${n} ${n === 1 ? "day" : "days"}`;
}

export function streakEmbed(streak: StreakSummary & { timezone: string }, name: string): Embed {
  const first = streak.calendar[0]?.day.slice(5) ?? "";
  const last = streak.calendar[streak.calendar.length - 1]?.day.slice(5) ?? "";
  const lines = [
    `🔥 Current streak: **${days(streak.current)}**`,
    `🏆 Longest streak: **${days(streak.longest)}**`,
    `🧊 Freezes held: **${streak.freezes}** of ${MAX_FREEZES} (one earned every ${FREEZE_EVERY} days in a row, spent on a missed day)`,
    "",
    `Last ${CALENDAR_DAYS} days (\`${first}\` → \`${last}\`):`,
    calendarStrip(streak.calendar),
  ];
  if (streak.activeDays === 0) lines.unshift("No entries yet: `/learn log` starts a streak.", "");
  return new Embed()
    .setColor(0xf97316)
    .setTitle(truncate(`${sanitize(name, { oneLine: true })}'s learning streak`, LIMITS.embedTitle))
    .setDescription(lines.join("\n"))
    .setFooter({
      text: truncate(
        `Days in ${streak.timezone} · 🟩 entry · 🧊 frozen · ⬛ missed · ⬜ today, not yet`,
        2048,
      ),
    });
}

function change(now: number, before: number): string {
  if (now === before) return "same as the week before";
  const diff = now - before;
  return `${diff > 0 ? "+" : ""}${diff} on the week before`;
}

export function statsEmbed(stats: WeeklyStats): Embed {
  const topics =
    stats.topTopics.length === 0
      ? "Nothing logged this week yet."
      : stats.topTopics.map((t, i) => `${i + 1}. ${t.topic}: **${t.count}**`).join("\n");
  const kinds = (Object.keys(KIND_STYLE) as EntryKind[])
    .map((kind) => `${KIND_STYLE[kind].emoji} ${stats.kinds[kind]}`)
    .join(" · ");
  return new Embed()
    .setColor(0x22c55e)
    .setTitle("This week in the learning journal")
    .addFields(
      {
        name: "Entries",
        value: `**${stats.entries}** (${change(stats.entries, stats.previous.entries)})`,
        inline: true,
      },
      {
        name: "Active learners",
        value: `**${stats.learners}** (${change(stats.learners, stats.previous.learners)})`,
        inline: true,
      },
      { name: "Top topics", value: truncate(topics, LIMITS.embedFieldValue) },
      { name: "Kinds", value: kinds },
    )
    .setFooter({ text: "Last 7 days" })
    .setTimestamp(stats.to);
}
