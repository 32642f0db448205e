/**
 * What pairing says on Discord: the introduction, the 48 h follow-up, replies and embeds. Pure functions
 * of the domain's results; every piece of user text goes through `sanitize` and every field through
 * `truncate`, so each message fits Discord's limits however long the data.
 */
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, type MessageCreateOptions } from "discord.js";
import { Embed } from "../discord/embed.js";
import { LIMITS, paginate, sanitize, truncate } from "../discord/text.js";
import type { HistoryResult, PairNotice, StatsResult, StatusResult, WaitingCounts } from "./pairing.js";
import type { MiniProject } from "./projects.js";
import type { Pair, PairRole, PairSettings, PairSide } from "./schema.js";

const COLOR = 0x57f287;

/** `<t:…:R>`: Discord renders it in each reader's locale and zone. */
export function when(ms: number, style: "R" | "D" | "f" = "R"): string {
  return `<t:${Math.floor(ms / 1000)}:${style}>`;
}

// ─── button ids ───────────────────────────────────────────────────────────────────────────────────────

/** `pair:met:<pairId>:<yes|no>:<guildId>`; the guild id is there because DMs carry none. */
export function followUpButtonId(pairId: number, answer: "yes" | "no", guildId: string): string {
  return `pair:met:${pairId}:${answer}:${guildId}`;
}

export function parseFollowUpButtonId(
  customId: string,
): { pairId: number; answer: "met" | "not_yet"; guildId: string } | null {
  const match = /^pair:met:(\d{1,10}):(yes|no):(\d{1,20})$/.exec(customId);
  if (match === null) return null;
  return {
    pairId: Number(match[1]),
    answer: match[2] === "yes" ? "met" : "not_yet",
    guildId: match[3] ?? "",
  };
}

// ─── the pair's thread ────────────────────────────────────────────────────────────────────────────────

export function threadName(pair: Pair): string {
  const topics = [
    ...new Set([pair.backend.topic, pair.frontend.topic].filter((t): t is string => t !== null)),
  ];
  const suffix = topics.length > 0 ? ` · ${topics.join(" + ")}` : "";
  return truncate(`Pair #${pair.id} · backend ↔ frontend${suffix}`, LIMITS.threadName);
}

function sideValue(side: PairSide, role: PairRole): string {
  const lines = [
    `<@${side.user}> builds ${role === "backend" ? "the API" : "the page that consumes it"}`,
    `Topic: ${side.topic ?? "any"}`,
    `Time zone: ${side.tz}`,
  ];
  return truncate(lines.join("\n"), LIMITS.embedFieldValue);
}

function noteValue(note: string): string {
  return truncate(sanitize(note), LIMITS.embedFieldValue);
}

export function introEmbed(pair: Pair, project: MiniProject): Embed {
  const embed = new Embed()
    .setColor(COLOR)
    .setTitle(truncate(`Pair #${pair.id}: build something together`, LIMITS.embedTitle))
    .setDescription(
      truncate(
        "You are paired across tracks: the backend learner builds an API, the frontend learner builds the " +
          "page that consumes it. Say hello, agree on a time to meet, sketch the API contract together, then build.",
        LIMITS.embedDescription,
      ),
    )
    .addFields(
      { name: "Backend", value: sideValue(pair.backend, "backend"), inline: true },
      { name: "Frontend", value: sideValue(pair.frontend, "frontend"), inline: true },
    );
  if (pair.backend.note) embed.addFields({ name: "Backend's note", value: noteValue(pair.backend.note) });
  if (pair.frontend.note) embed.addFields({ name: "Frontend's note", value: noteValue(pair.frontend.note) });
  embed.addFields(
    {
      name: truncate(`Suggested mini-project: ${project.title}`, LIMITS.embedFieldName),
      value: truncate(`**API (backend):** ${project.api}`, LIMITS.embedFieldValue),
    },
    { name: "The page (frontend)", value: truncate(project.page, LIMITS.embedFieldValue) },
  );
  embed.setFooter({
    text: "In 48 hours I will ask here whether you met. Log what you learned with /learn log.",
  });
  return embed;
}

/** The introduction, pinging exactly the two members. */
export function introMessage(pair: Pair, project: MiniProject): MessageCreateOptions {
  const users = [pair.backend.user, pair.frontend.user];
  return {
    content: `<@${pair.backend.user}> (backend) meet <@${pair.frontend.user}> (frontend): you are pair #${pair.id}!`,
    embeds: [introEmbed(pair, project)],
    allowedMentions: { users },
  };
}

export function followUpMessage(pair: Pair, guildId: string): MessageCreateOptions {
  const users = [pair.backend.user, pair.frontend.user];
  return {
    content: truncate(
      `<@${pair.backend.user}> <@${pair.frontend.user}>: it has been two days since you were paired (pair #${pair.id}). ` +
        "Did you meet? Either of you can answer.\n" +
        `Each of you: log what you learned with \`/learn log … pair:${pair.id}\`, so it shows in your journal tagged with the pairing.`,
      LIMITS.content,
    ),
    components: [
      new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder()
          .setCustomId(followUpButtonId(pair.id, "yes", guildId))
          .setLabel("We met")
          .setStyle(ButtonStyle.Success),
        new ButtonBuilder()
          .setCustomId(followUpButtonId(pair.id, "no", guildId))
          .setLabel("Not yet")
          .setStyle(ButtonStyle.Secondary),
      ),
    ],
    allowedMentions: { users },
  };
}

/** `clickedIn`: the channel of the follow-up whose button was clicked (the pair's thread, or a DM). */
export function answerReply(
  pair: Pair,
  answer: "met" | "not_yet",
  firstMet: boolean,
  clickedIn: string | null = null,
): string {
  if (answer === "met") {
    return (
      `${firstMet ? "Counted: pair" : "Thanks, pair"} #${pair.id} met. ` +
      `Now log what you learned with \`/learn log … pair:${pair.id}\`.`
    );
  }
  // Where the follow-up was, not whether the pair has a thread: a pair introduced by DM has none, and one
  // whose thread is gone (or did not answer for hours) got its follow-up by DM.
  const inThread = clickedIn !== null && clickedIn === pair.delivery.threadId;
  const where = inThread ? "in the thread" : "to your partner";
  return `No problem, there is still time: suggest a slot ${where}. Click **We met** once you have.`;
}

export function leftoverAnnouncements(users: readonly string[], pairs: number): MessageCreateOptions[] {
  return mentionAnnouncements(
    `Matching round: ${pairs} new pair${pairs === 1 ? "" : "s"}. Still in the queue (you keep your place ` +
      "and are matched as soon as someone from the other track asks; `/pair status` shows your request):",
    users,
  );
}

/** The channel post for requests that expired unmatched (the pairing job). */
export function expiryAnnouncements(users: readonly string[], expiryDays: number): MessageCreateOptions[] {
  return mentionAnnouncements(
    `⌛ These pairing requests expired after ${expiryDays} day${expiryDays === 1 ? "" : "s"} without a ` +
      "match. Still up for it? `/pair request` puts you back in the queue:",
    users,
  );
}

/**
 * `head` followed by a mention of each user, in as few messages as fit (2,000 characters, 90 mentions,
 * at most 5 messages: the rest are not mentioned). Each message pings exactly the users it names.
 */
function mentionAnnouncements(head: string, users: readonly string[]): MessageCreateOptions[] {
  if (users.length === 0) return [];
  const MAX_USERS = 90; // allowed_mentions.users takes at most 100
  const MAX_MESSAGES = 5;
  const messages: MessageCreateOptions[] = [];
  let text = head;
  let chunk: string[] = [];
  const flush = () => {
    if (chunk.length > 0) messages.push({ content: text, allowedMentions: { users: chunk } });
    text = "";
    chunk = [];
  };
  for (const id of users) {
    const mention = `<@${id}>`;
    const next = text === "" ? mention : `${text}${chunk.length === 0 ? "\n" : " "}${mention}`;
    if (chunk.length >= MAX_USERS || next.length > LIMITS.content) {
      flush();
      if (messages.length >= MAX_MESSAGES) break;
      text = mention;
    } else {
      text = next;
    }
    chunk.push(id);
  }
  if (messages.length < MAX_MESSAGES) flush();
  return messages;
}

// ─── replies to commands ──────────────────────────────────────────────────────────────────────────────

export function noticeLines(notices: readonly PairNotice[]): string[] {
  return notices.map((notice) => {
    switch (notice.kind) {
      case "expired":
        return `⌛ Your pairing request${notice.role ? ` (${notice.role})` : ""} expired ${when(notice.at)} without a match.`;
      case "partner-left":
        return `👋 Your partner${notice.pairId ? ` in pair #${notice.pairId}` : ""} left the server before you were introduced, so you went back to the queue with your original place.`;
      case "left-over":
        return `🔁 The matching round ${when(notice.at)} could not pair you this time; you are still in the queue.`;
    }
    return "";
  });
}

/** Notices first, then the reply, cut to the content limit. */
export function withNotices(notices: readonly PairNotice[], text: string): string {
  return truncate([...noticeLines(notices), text].join("\n"), LIMITS.content);
}

export function countsText(waiting: WaitingCounts): string {
  const paused = waiting.paused > 0 ? ` (${waiting.paused} paused)` : "";
  return `**${waiting.backend}** backend and **${waiting.frontend}** frontend learner${waiting.frontend === 1 ? "" : "s"} waiting${paused}`;
}

export function statusEmbed(status: StatusResult): Embed {
  const embed = new Embed().setColor(COLOR).setTitle("Your pairing");
  if (status.open) {
    const open = status.open;
    const lines = [
      `Open request as **${open.role}**${open.topic ? ` on **${open.topic}**` : ""}, since ${when(open.at)}.`,
      open.pausedUntil ? `Paused until ${when(open.pausedUntil, "f")} (then it resumes by itself).` : null,
      `Expires ${when(open.expiresAt)} if nobody is matched.`,
      open.note ? `Note: ${sanitize(open.note, { oneLine: true })}` : null,
    ].filter((line): line is string => line !== null);
    embed.setDescription(truncate(lines.join("\n"), LIMITS.embedDescription));
  } else {
    embed.setDescription("No open request. `/pair request` joins the queue.");
  }
  embed.addFields({ name: "Queue", value: truncate(countsText(status.waiting), LIMITS.embedFieldValue) });
  if (status.lastPair) embed.addFields({ name: "Last pair", value: pairLine(status.lastPair, null) });
  return embed;
}

function pairLine(pair: Pair, me: string | null): string {
  const partnerSide =
    me === null
      ? null
      : me === pair.backend.user
        ? pair.frontend
        : me === pair.frontend.user
          ? pair.backend
          : null;
  const who =
    partnerSide === null
      ? `<@${pair.backend.user}> (backend) + <@${pair.frontend.user}> (frontend)`
      : `with <@${partnerSide.user}> (${partnerSide === pair.backend ? "backend" : "frontend"})`;
  const where = pair.delivery.threadId ? ` · <#${pair.delivery.threadId}>` : "";
  const met = pair.metAt !== null ? " · met ✅" : "";
  const gone = pair.dissolved !== null ? " · undone (a member left)" : "";
  return truncate(
    `#${pair.id} · ${when(pair.createdAt, "D")} · ${who}${where}${met}${gone}`,
    LIMITS.embedFieldValue,
  );
}

export function historyEmbed(history: HistoryResult, userId: string): Embed {
  const embed = new Embed().setColor(COLOR).setTitle("Your pairs");
  if (history.items.length === 0) {
    return embed.setDescription("No pairs yet. `/pair request` joins the queue.");
  }
  const lines = history.items.map((item) => pairLine(item.pair, userId));
  const [page = ""] = paginate(lines, LIMITS.embedDescription);
  embed.setDescription(page);
  if (history.total > history.items.length) {
    embed.setFooter({ text: `Showing the latest ${history.items.length} of ${history.total}.` });
  }
  return embed;
}

export function settingsText(settings: PairSettings): string {
  return `Pairing settings: people paired within **${settings.recencyDays} days** are not paired again; requests expire after **${settings.expiryDays} days**.`;
}

export function statsEmbed(result: StatsResult): Embed {
  const { stats } = result;
  const rate = stats.matches > 0 ? ` (${Math.round((stats.met / stats.matches) * 100)}%)` : "";
  return new Embed()
    .setColor(COLOR)
    .setTitle("Pairing stats")
    .addFields(
      { name: "Requests", value: String(stats.requests), inline: true },
      { name: "Matches", value: String(stats.matches), inline: true },
      { name: "Pairs that met", value: `${stats.met}${rate}`, inline: true },
      { name: "Waiting now", value: truncate(countsText(result.waiting), LIMITS.embedFieldValue) },
      { name: "Expired", value: String(stats.expired), inline: true },
      { name: "Cancelled", value: String(stats.cancelled), inline: true },
      { name: "Left the server", value: String(stats.departed), inline: true },
      { name: "Rounds", value: String(stats.rounds), inline: true },
      { name: "Follow-ups to come", value: String(result.followUpsPending), inline: true },
    )
    .setFooter({ text: truncate(settingsText(result.settings).replaceAll("**", ""), LIMITS.embedFooter) });
}
