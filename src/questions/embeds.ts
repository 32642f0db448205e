import { Embed } from "../discord/embed.js";
import { inlineText, LIMITS, maskedLink, paginate, sanitize, truncate } from "../discord/text.js";
import type { ListPage } from "./catalog.js";
import type { Board, MemberReputation, Period } from "./reputation.js";
import { type Answer, answerId, type IndexEntry, messageLink, type Question } from "./schema.js";
import type { Suggestions } from "./suggest.js";

/** Every message the Q&A feature posts, built here so each stays within Discord's limits. */

export const COLORS = { open: 0x5865f2, solved: 0x57f287, deleted: 0x99aab5, answer: 0xfee75c } as const;
export const SOLVED_MARK = "✅ ";

const unix = (ms: number) => Math.floor(ms / 1000);
export const age = (ms: number) => `<t:${unix(ms)}:R>`;

/** User text as a markdown link label: one line, inline Markdown escaped (src/discord/text.ts inlineText). */
export function linkLabel(text: string, max: number): string {
  return inlineText(text, max);
}

export function threadName(question: Pick<Question, "title" | "status">): string {
  const title = question.title.replace(/\s+/g, " ").trim();
  return question.status === "solved"
    ? truncate(`${SOLVED_MARK}${title}`, LIMITS.threadName)
    : truncate(title, LIMITS.threadName);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export function questionEmbed(guildId: string, question: Question, accepted: Answer | null = null): Embed {
  const prefix = `Q${question.number} · `;
  const embed = new Embed()
    // Discord renders Markdown in embed titles: escaped, `__init__` is not underlined and a lone `**` shows.
    .setTitle(prefix + inlineText(question.title, LIMITS.embedTitle - prefix.length))
    .setColor(COLORS[question.status])
    .setTimestamp(question.createdAt)
    .setFooter({
      text: truncate(
        `Question ${question.number} · answer with /answer question:${question.number}`,
        LIMITS.embedFooter,
      ),
    });
  if (question.details) embed.setDescription(truncate(sanitize(question.details), LIMITS.embedDescription));
  embed.addFields({ name: "Asked by", value: `<@${question.authorId}>`, inline: true });
  if (question.topic) embed.addFields({ name: "Topic", value: truncate(question.topic, 100), inline: true });
  let status: string;
  if (question.status === "solved" && question.accepted) {
    const id = answerId(question.number, question.accepted.answer);
    const link = accepted ? messageLink(guildId, accepted.channelId, accepted.messageId) : null;
    const by = accepted ? ` by <@${accepted.authorId}>` : "";
    status = `✅ Solved: ${link ? `[answer ${id}](${link})` : `answer ${id}`}${by}`;
  } else if (question.status === "deleted") {
    status = "Deleted";
  } else {
    // No answer count here: the embed is edited only when the question is solved, so a count would go stale.
    status = "Open";
  }
  embed.addFields({ name: "Status", value: truncate(status, LIMITS.embedFieldValue) });
  return embed;
}

export function answerEmbed(question: Question, answer: Answer): Embed {
  const id = answerId(question.number, answer.number);
  return new Embed()
    .setTitle(truncate(`Answer ${id} · Q${question.number}`, LIMITS.embedTitle))
    .setColor(COLORS.answer)
    .setDescription(
      truncate(`<@${answer.authorId}> answered:\n\n${sanitize(answer.text)}`, LIMITS.embedDescription),
    )
    .setTimestamp(answer.createdAt)
    .setFooter({ text: `The asker can accept it with /accept answer:${id}` });
}

/**
 * As many whole suggestion lines as fit in a field: a cut line would end inside its masked link and show
 * as raw "[text](https://…" Markdown. Every line fits alone, so the first is always shown.
 */
function wholeLines(lines: string[]): string {
  return paginate(lines, LIMITS.embedFieldValue)[0] ?? "";
}

/** The first message of a question's thread: how to answer, and what the community already solved. */
export function threadIntro(
  question: Question,
  suggestions: Suggestions | null,
): { content: string; embeds: Embed[] } {
  const content = `Answer with \`/answer question:${question.number}\`; <@${question.authorId}> can accept the one that helps with \`/accept\`.`;
  if (suggestions === null || (suggestions.questions.length === 0 && suggestions.journal.length === 0)) {
    return { content, embeds: [] };
  }
  const embed = new Embed().setTitle("Already answered here?").setColor(COLORS.open);
  if (suggestions.questions.length > 0) {
    const lines = suggestions.questions.map(({ entry, link, accepted }) => {
      const title = `Q${entry.n} · ${linkLabel(entry.title, 120)}`;
      const head = link ? `[${title}](${link})` : title;
      if (entry.status !== "solved") return `• ${head} (open, ${plural(entry.answers, "answer")})`;
      const answer = accepted?.link ? `[accepted answer ${accepted.id}](${accepted.link})` : "solved";
      return `• ✅ ${head}: ${answer}`;
    });
    embed.addFields({ name: "Similar questions", value: wholeLines(lines) });
  }
  if (suggestions.journal.length > 0) {
    const lines = suggestions.journal.map((hit) => {
      const text = linkLabel(hit.text, 140);
      const head = `• <@${hit.authorId}> on **${truncate(hit.topic, 60)}**: `;
      const linked = hit.link ? `${head}${maskedLink(text, hit.link)}` : "";
      // Encoded parentheses can take a 500-character link past the field's room: then the text alone,
      // so that every line fits by itself.
      return linked !== "" && linked.length <= LIMITS.embedFieldValue ? linked : `${head}${text}`;
    });
    embed.addFields({ name: "From the learning journal", value: wholeLines(lines) });
  }
  return { content, embeds: [embed] };
}

export function nudgeMessage(question: Question): string {
  const topic = question.topic ? ` Anyone who knows **${question.topic}**?` : "";
  return truncate(
    `This question has been waiting 2 days without an answer.${topic} Answer with \`/answer question:${question.number}\`; even a partial answer or a pointer helps.`,
    LIMITS.content,
  );
}

/** Answer landed in the channel instead of the thread: says why, visibly, for the asker too. */
export function fallbackNote(question: Question, answer: Answer, why: string): string {
  return `Answer ${answerId(question.number, answer.number)} to Q${question.number} is posted here because ${why}.`;
}

function statusLabel(entry: IndexEntry): string {
  return entry.status === "solved" ? "✅ solved" : entry.status === "open" ? "open" : "deleted";
}

/**
 * Rendered list lines per index entry: snapshot entries are never mutated (an update replaces the entry),
 * and `/questions open` lists the same newest page to everyone. Keyed by entry, checked by guild.
 */
const lines = new WeakMap<IndexEntry, { guildId: string; line: string }>();

export function listLine(guildId: string, entry: IndexEntry): string {
  const cached = lines.get(entry);
  if (cached?.guildId === guildId) return cached.line;
  const line = renderListLine(guildId, entry);
  lines.set(entry, { guildId, line });
  return line;
}

function renderListLine(guildId: string, entry: IndexEntry): string {
  const link = messageLink(guildId, entry.channelId, entry.messageId);
  const title = linkLabel(entry.title, 100);
  return `**Q${entry.n}** ${link ? `[${title}](${link})` : title}\n${statusLabel(entry)} · ${plural(entry.answers, "answer")} · asked ${age(entry.createdAt)}${entry.topic ? ` · ${truncate(entry.topic, 40)}` : ""}`;
}

export function listEmbed(guildId: string, heading: string, page: ListPage, empty: string): Embed {
  const embed = new Embed().setTitle(truncate(heading, LIMITS.embedTitle)).setColor(COLORS.open);
  if (page.total === 0) return embed.setDescription(truncate(empty, LIMITS.embedDescription));
  return embed
    .setDescription(
      truncate(page.entries.map((entry) => listLine(guildId, entry)).join("\n\n"), LIMITS.embedDescription),
    )
    .setFooter({
      text: `Page ${page.page} of ${page.pages} · ${plural(page.total, "question")}${page.page < page.pages ? ` · next: page:${page.page + 1}` : ""}`,
    });
}

export const PERIOD_LABEL: Record<Period, string> = {
  week: "the last 7 days",
  month: "the last 30 days",
  all: "all time",
};

export function reputationEmbed(userId: string, rep: MemberReputation): Embed {
  return new Embed()
    .setTitle("Reputation")
    .setColor(COLORS.solved)
    .setDescription(
      `<@${userId}> has **${plural(rep.points, "point")}** from ${plural(rep.accepted, "accepted answer")}.\n` +
        "Answers accepted with /accept earn 10 points (answering your own question earns none).",
    );
}

export function leaderboardEmbed(
  board: Board & { you: { rank: number; row: { points: number } } | null },
): Embed {
  const embed = new Embed()
    .setTitle(`Reputation leaderboard · ${PERIOD_LABEL[board.period]}`)
    .setColor(COLORS.solved);
  if (board.rows.length === 0) {
    return embed.setDescription(
      "No accepted answers in this period yet. Answer a question with /answer to lead!",
    );
  }
  const medals = ["🥇", "🥈", "🥉"];
  const lines = board.rows.map(
    (row, i) =>
      `${medals[i] ?? `**${i + 1}.**`} <@${row.userId}> · **${plural(row.points, "point")}** (${plural(row.accepted, "accepted answer")})`,
  );
  embed.setDescription(truncate(lines.join("\n"), LIMITS.embedDescription));
  const you = board.you
    ? `You are #${board.you.rank} with ${plural(board.you.row.points, "point")}`
    : "You are not on this board yet";
  return embed.setFooter({ text: `${you} · ${plural(board.total, "member")} ranked` });
}
