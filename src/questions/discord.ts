import {
  ChannelType,
  DiscordAPIError,
  type Message,
  type MessageCreateOptions,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  type SendableChannels,
  SnowflakeUtil,
  ThreadAutoArchiveDuration,
  type ThreadChannel,
} from "discord.js";
import { isTransientError, UserError } from "../discord/errors.js";
import { postNonce } from "../discord/nonce.js";
import type { BotContext } from "../discord/types.js";
import { getGuildConfig } from "../guild/config.js";
import { KeyedLock } from "../store/lock.js";
import { answerEmbed, fallbackNote, nudgeMessage, questionEmbed, threadIntro, threadName } from "./embeds.js";
import { claimNudge, questionsDueForNudge } from "./nudge.js";
import {
  type AcceptResult,
  type AskInput,
  askQuestion,
  attachQuestionMessage,
  awaitsItsPost,
  claimAbandoned,
  creditKept,
  forgetOutboxQuestion,
  getAnswer,
  getQuestion,
  markQuestionDeleted,
  markThreadGone,
  recordAnswerPlacement,
  retryAnswerLater,
} from "./questions.js";
import {
  type Answer,
  type AnswerPlacement,
  answerId,
  messageLink,
  type OutboxEntry,
  type OutboxQuestion,
  type Question,
} from "./schema.js";
import { type Suggestions, suggestionsFor } from "./suggest.js";

/**
 * The Discord side of Q&A: the REST calls around the domain functions, with the fallbacks the issue asks
 * for. State changes always happen in the store first (through the domain functions); a failed REST call
 * never loses an acknowledged question or answer, it only changes where it shows or what the user is told.
 */

export type QaContext = Pick<BotContext, "store" | "clock" | "logger" | "client">;

export const THREAD_ARCHIVE = ThreadAutoArchiveDuration.OneWeek;

export function discordCode(error: unknown): number | null {
  return error instanceof DiscordAPIError && typeof error.code === "number" ? error.code : null;
}

const GONE = new Set<number>([RESTJSONErrorCodes.UnknownChannel]);
const FORBIDDEN = new Set<number>([
  RESTJSONErrorCodes.MissingAccess,
  RESTJSONErrorCodes.MissingPermissions,
  RESTJSONErrorCodes.ThreadLocked,
  RESTJSONErrorCodes.InvalidActionOnArchivedThread,
]);
const isGone = (error: unknown) => GONE.has(discordCode(error) ?? 0);
/** A reply refused because the message it answers no longer exists (Invalid Form Body on message_reference). */
const isUnknownReference = (error: unknown) =>
  discordCode(error) === RESTJSONErrorCodes.UnknownMessage ||
  (discordCode(error) === RESTJSONErrorCodes.InvalidFormBodyOrContentType &&
    /UNKNOWN_MESSAGE/.test(JSON.stringify((error as DiscordAPIError).rawError)));
const isForbidden = (error: unknown) => FORBIDDEN.has(discordCode(error) ?? 0);

/** False when the bot's cached permissions in `channel` lack Read Message History (true when unknown). */
function canReadHistory(ctx: QaContext, channel: SendableChannels): boolean {
  const me = ctx.client.user;
  const permissions = me && "permissionsFor" in channel ? channel.permissionsFor(me) : null;
  return permissions === null || permissions.has(PermissionFlagsBits.ReadMessageHistory);
}

async function sendableChannel(ctx: QaContext, channelId: string): Promise<SendableChannels | null> {
  const channel = await ctx.client.channels.fetch(channelId);
  return channel?.isSendable() ? channel : null;
}

// ——— /ask ———

export type AskOutcome = { question: Question; link: string | null; notes: string[] };

export async function askAndPost(ctx: QaContext, guildId: string, input: AskInput): Promise<AskOutcome> {
  const config = await getGuildConfig(ctx.store, ctx.clock, guildId);
  if (config.channelId === null) {
    throw new UserError("This server has no Nexus channel yet: ask an admin to run `/nexus setup`.");
  }
  const channel = await ctx.client.channels.fetch(config.channelId).catch((error: unknown) => {
    if (isGone(error) || isForbidden(error)) return null;
    throw error;
  });
  if (
    channel === null ||
    (channel.type !== ChannelType.GuildText && channel.type !== ChannelType.GuildAnnouncement)
  ) {
    throw new UserError(
      `I cannot use the Nexus channel <#${config.channelId}> (it is gone, hidden from me or not a text channel): ask an admin to run \`/nexus setup\`.`,
    );
  }
  let question = await askQuestion(ctx.store, ctx.clock, guildId, input, channel.id);
  let message: Message;
  try {
    // Enforced: a retry of a send Discord made but answered 5xx to returns the first message, not a second.
    message = await channel.send({
      embeds: [questionEmbed(guildId, question)],
      nonce: postNonce(guildId, `question|${question.number}|${channel.id}`),
      enforceNonce: true,
    });
  } catch (error) {
    // Discord not answering (5xx, a timeout) may have made the post all the same: the question is left to
    // the outbox job, which attaches it (with its thread) if it is in the channel, and withdraws it if not.
    if (isTransientError(error)) {
      throw new UserError(
        `Discord did not answer while I posted your question **Q${question.number}**. If it reached <#${channel.id}>, ` +
          "it stays and gets its thread within a few minutes; if not, it is withdrawn and you can ask again then.",
      );
    }
    await markQuestionDeleted(ctx.store, guildId, question.number);
    if (isGone(error)) {
      throw new UserError(
        `The Nexus channel <#${config.channelId}> is gone: ask an admin to run \`/nexus setup\`.`,
      );
    }
    if (isForbidden(error)) {
      throw new UserError(
        `I am not allowed to post in <#${config.channelId}>: ask an admin to give me **Send Messages**, **Embed Links** and **Create Public Threads** there.`,
      );
    }
    throw error;
  }
  const notes: string[] = [];
  const started = await startQuestionThread(ctx, guildId, question, message);
  const thread = typeof started === "string" ? null : started;
  if (started === "refused") {
    notes.push(
      "I could not open a thread on it (I need **Create Public Threads**), so answers will be posted as replies to the question in the channel.",
    );
  } else if (started === "failed") {
    // Not a permission an admin could give: Discord did not answer (or failed) this once.
    notes.push(
      "Discord did not open a thread on it just now, so answers will be posted as replies to the question in the channel.",
    );
  }
  question = await attachQuestionMessage(ctx.store, guildId, question.number, {
    channelId: channel.id,
    messageId: message.id,
    threadId: thread?.id ?? null,
  });
  if (thread !== null) await introduceThread(ctx, guildId, question, thread);
  return { question, link: messageLink(guildId, question.channelId, question.messageId), notes };
}

/** A question's new thread gets its first message: how to answer, and earlier answers that may help. */
async function introduceThread(
  ctx: QaContext,
  guildId: string,
  question: Question,
  thread: ThreadChannel,
): Promise<void> {
  let suggestions: Suggestions | null = null;
  try {
    suggestions = await suggestionsFor(ctx.store, guildId, question);
  } catch (error) {
    ctx.logger.warn(
      { err: error, guild: guildId, question: question.number },
      "could not compute suggestions",
    );
  }
  const intro = {
    ...threadIntro(question, suggestions),
    nonce: postNonce(guildId, `intro|${question.number}|${thread.id}`),
    enforceNonce: true,
  };
  await thread.send(intro).catch((error: unknown) => {
    ctx.logger.warn(
      { err: error, guild: guildId, question: question.number },
      "could not post the thread intro",
    );
  });
}

/**
 * Opens the question's public thread on its message and adds the asker. "refused": Discord does not let
 * the bot (a permission); "failed": anything else, such as Discord not answering.
 */
async function startQuestionThread(
  ctx: QaContext,
  guildId: string,
  question: Question,
  message: Message,
): Promise<ThreadChannel | "refused" | "failed"> {
  // The asker follows their thread, so answers reach them without anyone pinging.
  const withAsker = async (thread: ThreadChannel): Promise<ThreadChannel> => {
    await thread.members.add(question.authorId).catch((error: unknown) => {
      ctx.logger.debug(
        { err: error, guild: guildId, question: question.number },
        "could not add the asker to the thread",
      );
    });
    return thread;
  };
  try {
    return await withAsker(
      await message.startThread({ name: threadName(question), autoArchiveDuration: THREAD_ARCHIVE }),
    );
  } catch (error) {
    // Discord may have opened the thread all the same (a 5xx after the fact, whose retry is then refused
    // with 160004): a message's thread has the message's id.
    if (isTransientError(error) || discordCode(error) === RESTJSONErrorCodes.ThreadAlreadyCreatedForMessage) {
      const opened = await ctx.client.channels.fetch(message.id).catch(() => null);
      if (opened?.isThread()) return withAsker(opened);
    }
    if (isForbidden(error)) return "refused";
    ctx.logger.warn(
      { err: error, guild: guildId, question: question.number },
      "could not start a question thread",
    );
    return "failed";
  }
}

// ——— delivering into a question's thread, or beside it ———

export type Delivery = {
  placement: Exclude<AnswerPlacement, "pending">;
  channelId: string | null;
  messageId: string | null;
  /** Why it did not land in the thread (null when it did). */
  reason: string | null;
  /** Set when the question turned out to be deleted (its message and its thread gone); now marked so. */
  questionDeleted?: true;
  /** "failed" only because Discord did not answer (5xx, network, timeouts): worth trying again later. */
  transient?: true;
};

/**
 * Posts into the question's thread; when the thread is gone (10003) or closed to the bot (50001/50013/…),
 * posts in the channel as a reply to the question instead, with `note(reason)` on top (not a reply but
 * with a link to the question when the bot cannot read the channel's history: Discord then refuses
 * replies). When the question's message is gone too, a moderator deleted the question (the bot has no
 * message events to learn it sooner), or its channel: nothing is posted, and the question is marked
 * deleted, out of every list and closed to answers.
 */
export async function deliverToQuestion(
  ctx: QaContext,
  guildId: string,
  question: Question,
  payload: Pick<MessageCreateOptions, "content" | "embeds">,
  note: (reason: string) => string,
  /** Enforced nonces, one per place (Discord answers a repeat within a few minutes with the first message). */
  nonces?: { thread: string; channel: string },
): Promise<Delivery> {
  let reason: string;
  let threadTransient = false;
  if (question.threadId !== null && !question.threadGone) {
    try {
      const thread = await sendableChannel(ctx, question.threadId);
      if (thread === null) throw new Error("the thread is not a channel I can send to");
      const sent = await thread.send({
        ...payload,
        ...(nonces ? { nonce: nonces.thread, enforceNonce: true } : {}),
      });
      return { placement: "thread", channelId: sent.channelId, messageId: sent.id, reason: null };
    } catch (error) {
      if (isGone(error)) {
        reason = "the question's thread was deleted";
        await markThreadGone(ctx.store, guildId, question.number);
      } else if (isForbidden(error)) {
        reason = "I am not allowed to post in the question's thread";
      } else {
        reason = "posting in the question's thread failed";
        threadTransient = isTransientError(error);
        ctx.logger.warn(
          { err: error, guild: guildId, question: question.number },
          "could not post in a question thread",
        );
      }
    }
  } else {
    reason = question.threadId === null ? "the question has no thread" : "the question's thread was deleted";
  }
  if (question.channelId === null) {
    return { placement: "failed", channelId: null, messageId: null, reason, ...transientIf(threadTransient) };
  }
  try {
    const channel = await sendableChannel(ctx, question.channelId);
    if (channel === null) throw new Error("the Nexus channel is not a channel I can send to");
    const post = (asReply: boolean): Promise<Message> => {
      // Without the reply, a link in the note still leads to the question.
      const link = asReply ? null : messageLink(guildId, question.channelId, question.messageId);
      return channel.send({
        ...payload,
        ...(nonces ? { nonce: nonces.channel, enforceNonce: true } : {}),
        content: [note(reason), link && `The question: ${link}`, payload.content].filter(Boolean).join("\n"),
        ...(asReply && question.messageId
          ? { reply: { messageReference: question.messageId, failIfNotExists: true } }
          : {}),
      });
    };
    // Discord refuses a reply from a bot that cannot read the channel's history (160002). Posted without
    // it, an answer to a question deleted meanwhile is not noticed: there is no way to look it up either.
    const sent = canReadHistory(ctx, channel)
      ? await post(true).catch((error: unknown) => {
          if (discordCode(error) !== RESTJSONErrorCodes.CannotReplyWithoutPermissionToReadMessageHistory)
            throw error;
          return post(false);
        })
      : await post(false);
    return { placement: "channel", channelId: sent.channelId, messageId: sent.id, reason };
  } catch (error) {
    // The channel itself gone (an admin deleted the Nexus channel) took the question's message with it.
    if (isUnknownReference(error) || isGone(error)) {
      await markQuestionDeleted(ctx.store, guildId, question.number);
      return {
        placement: "failed",
        channelId: null,
        messageId: null,
        reason: "the question was deleted (its message and its thread are gone)",
        questionDeleted: true,
      };
    }
    ctx.logger.warn(
      { err: error, guild: guildId, question: question.number },
      "could not post beside a question",
    );
    return {
      placement: "failed",
      channelId: null,
      messageId: null,
      reason: `${reason}, and I cannot post in the channel either`,
      ...transientIf(isTransientError(error)),
    };
  }
}

const transientIf = (transient: boolean): { transient?: true } => (transient ? { transient: true } : {});

// ——— /answer ———

/** Where an answer went: as `Delivery`, or still "pending" in the outbox while its question is not posted. */
export type AnswerDelivery = Omit<Delivery, "placement"> & { placement: AnswerPlacement };

/**
 * Posts a stored answer (see `addAnswer`) in its question's thread, or beside the question, and records
 * where it landed. Never throws for Discord's refusals: the answer is already durable. An answer to a
 * question not on Discord yet stays pending in the outbox, and the outbox job posts it once it is.
 */
export async function deliverAnswer(
  ctx: QaContext,
  guildId: string,
  question: Question,
  answer: Answer,
): Promise<AnswerDelivery> {
  if (awaitsItsPost(question)) {
    return {
      placement: "pending",
      channelId: null,
      messageId: null,
      reason: "the question is not posted yet",
    };
  }
  const delivery = await deliverToQuestion(
    ctx,
    guildId,
    question,
    { embeds: [answerEmbed(question, answer)] },
    (why) => fallbackNote(question, answer, why),
    answerNonces(guildId, question, answer),
  );
  // Discord not answering: left in the outbox, which looks for it (Discord may have made it) and posts it.
  if (delivery.transient && !delivery.questionDeleted) {
    if (await retryAnswerLater(ctx.store, ctx.clock, guildId, question.number, answer.number)) {
      return { ...delivery, placement: "pending" };
    }
    return delivery;
  }
  const placed = await recordAnswerPlacement(ctx.store, guildId, question.number, answer.number, {
    placement: delivery.placement,
    channelId: delivery.channelId,
    messageId: delivery.messageId,
  });
  if (placed !== undefined) await linkIfAccepted(ctx, guildId, placed);
  return delivery;
}

/**
 * An answer accepted while it still waited to be posted (Discord not answering, or its post slow) left its
 * question marked solved with no link to it: once it is posted, the question's embed gets the link.
 */
async function linkIfAccepted(ctx: QaContext, guildId: string, answer: Answer): Promise<void> {
  if (answer.messageId === null) return;
  const question = await getQuestion(ctx.store, guildId, answer.questionNumber);
  if (question?.status !== "solved" || question.accepted?.answer !== answer.number) return;
  try {
    await editQuestionEmbed(ctx, guildId, question.number);
  } catch (error) {
    ctx.logger.debug(
      { err: error, guild: guildId, question: question.number },
      "could not link the accepted answer from its question",
    );
  }
}

/** Edits of a question's embed, one at a time per question (see editQuestionEmbed). */
const embedEdits = new KeyedLock();

/**
 * Shows a question's embed as the store holds it now: solved, with the link to its accepted answer once
 * that answer is posted. /accept and the post of the answer it accepted (the outbox job's, meanwhile) each
 * edit it: read at edit time, one edit at a time, whichever lands last shows both changes, not what one of
 * them read before the other was stored (a link, or a newer accepted answer, overwritten). Throws what
 * Discord answered.
 */
async function editQuestionEmbed(ctx: QaContext, guildId: string, questionNumber: number): Promise<void> {
  await embedEdits.run(`${guildId}:${questionNumber}`, async () => {
    const question = await getQuestion(ctx.store, guildId, questionNumber);
    if (question === undefined || question.channelId === null || question.messageId === null) return;
    const acceptedNumber = question.status === "solved" ? question.accepted?.answer : undefined;
    const accepted =
      acceptedNumber === undefined
        ? undefined
        : await getAnswer(ctx.store, guildId, questionNumber, acceptedNumber);
    const channel = await ctx.client.channels.fetch(question.channelId);
    if (channel === null || !channel.isTextBased())
      throw new Error("the Nexus channel is not a text channel");
    await channel.messages.edit(question.messageId, {
      embeds: [questionEmbed(guildId, question, accepted ?? null)],
    });
  });
}

/** The nonces of an answer's post, one per place it can land. */
function answerNonces(
  guildId: string,
  question: Question,
  answer: Answer,
): { thread: string; channel: string } {
  const of = (where: string) =>
    postNonce(guildId, `answer|${answerId(question.number, answer.number)}|${where}`);
  return { thread: of("thread"), channel: of("channel") };
}

/** How far before a record was stored its message is looked for (clocks differ a little). */
const FIND_SLACK_MS = 60_000;

/**
 * The bot's first message in `channelId` since `since` that `matches`, null when there is none, or
 * "unreadable" when the channel could not be read (gone, hidden), "failing" when Discord did not answer.
 */
async function findBotMessage(
  ctx: QaContext,
  guildId: string,
  channelId: string,
  since: number,
  matches: (message: Message) => boolean,
): Promise<Message | null | "unreadable" | "failing"> {
  try {
    const channel = await ctx.client.channels.fetch(channelId);
    if (channel === null || !("messages" in channel)) return "unreadable";
    // Without Read Message History Discord answers with no messages, which would look like "not there".
    const me = ctx.client.user;
    const permissions = me && "permissionsFor" in channel ? channel.permissionsFor(me) : null;
    if (permissions !== null && !permissions.has(PermissionFlagsBits.ReadMessageHistory)) return "unreadable";
    const after = SnowflakeUtil.generate({ timestamp: Math.max(0, since - FIND_SLACK_MS) }).toString();
    const messages = await channel.messages.fetch({ after, limit: 100, cache: false });
    return messages.find((message) => message.author.id === ctx.client.user?.id && matches(message)) ?? null;
  } catch (error) {
    // A channel that no longer exists holds no message: "not there", not "cannot tell".
    if (isGone(error)) return null;
    ctx.logger.debug({ err: error, guild: guildId, channel: channelId }, "could not look for a message");
    return isTransientError(error) ? "failing" : "unreadable";
  }
}

/**
 * `answer`'s message where `deliverToQuestion` would have put it: the thread, then the channel. "failing"
 * when it is not found and Discord did not answer when asked about a place (it may be there).
 */
async function findPostedAnswer(
  ctx: QaContext,
  guildId: string,
  question: Question,
  answer: Answer,
): Promise<{ placement: "thread" | "channel"; channelId: string; messageId: string } | null | "failing"> {
  const title = answerEmbed(question, answer).data.title;
  const places: Array<["thread" | "channel", string | null]> = [
    ["thread", question.threadGone ? null : question.threadId],
    ["channel", question.channelId],
  ];
  let failing = false;
  for (const [placement, channelId] of places) {
    if (channelId === null) continue;
    const found = await findBotMessage(ctx, guildId, channelId, answer.createdAt, (message) =>
      message.embeds.some((embed) => embed.title === title),
    );
    // A place that cannot be read counts as "not there": posting an answer twice is better than never.
    if (found === "failing") failing = true;
    else if (found !== null && found !== "unreadable") {
      return { placement, channelId: found.channelId, messageId: found.id };
    }
  }
  return failing ? "failing" : null;
}

/**
 * An answer the outbox job claimed: looked for first (the post may have reached Discord before the
 * process died), then posted. True when it is now on Discord.
 */
async function settleAnswer(ctx: QaContext, guildId: string, entry: OutboxEntry): Promise<boolean> {
  const [question, answer] = await Promise.all([
    getQuestion(ctx.store, guildId, entry.q),
    getAnswer(ctx.store, guildId, entry.q, entry.a),
  ]);
  const settle = (
    placement: AnswerPlacement,
    channelId: string | null = null,
    messageId: string | null = null,
  ) => recordAnswerPlacement(ctx.store, guildId, entry.q, entry.a, { placement, channelId, messageId });
  if (question === undefined || answer === undefined || answer.placement !== "pending") {
    // Already recorded, or its records are unreadable (damage the store has logged): nothing to post.
    if (answer !== undefined) await settle(answer.placement, answer.channelId, answer.messageId);
    else await settle("failed");
    return false;
  }
  if (question.status === "deleted") {
    await settle("failed");
    return false;
  }
  // Left in the outbox (its claim renewed): it is posted on a later pass, once its question is attached.
  if (awaitsItsPost(question)) return false;
  const found = await findPostedAnswer(ctx, guildId, question, answer);
  // Discord not answering: a post it made but answered 5xx to may be there, out of its nonce window, so
  // posting now could add a copy on every try. Looked for again after the back-off (src/retry.ts).
  if (found === "failing") {
    await retryAnswerLater(ctx.store, ctx.clock, guildId, entry.q, entry.a);
    return false;
  }
  if (found !== null) {
    const placed = await settle(found.placement, found.channelId, found.messageId);
    if (placed !== undefined) await linkIfAccepted(ctx, guildId, placed);
    return true;
  }
  const { placement } = await deliverAnswer(ctx, guildId, question, answer);
  return placement === "thread" || placement === "channel";
}

/**
 * A question the outbox job claimed: stored, but its message never recorded. If the message reached the
 * channel /ask was posting in (or the Nexus channel now), it is attached (with its thread, opened now if it was not); if not, the question is
 * withdrawn (marked deleted): its asker was never told it was asked, and may well have asked again. When
 * the channel cannot be read, nothing is decided: the claim lapses and a later pass looks again.
 * True when it is now on Discord.
 */
async function settleQuestion(ctx: QaContext, guildId: string, entry: OutboxQuestion): Promise<boolean> {
  const question = await getQuestion(ctx.store, guildId, entry.q);
  if (question === undefined || question.messageId !== null || question.status !== "open") {
    await forgetOutboxQuestion(ctx.store, guildId, entry.q);
    return false;
  }
  const { channelId } = await getGuildConfig(ctx.store, ctx.clock, guildId);
  const marker = questionEmbed(guildId, question).data.footer?.text;
  // Where /ask was posting first: `/nexus setup` may have moved the Nexus channel since.
  const places = [...new Set([entry.channelId, channelId])].filter((id) => id !== undefined && id !== null);
  let found: Message | null | "unreadable" | "failing" = null;
  for (const place of places) {
    found = await findBotMessage(ctx, guildId, place, question.createdAt, (message) =>
      message.embeds.some((embed) => embed.footer?.text === marker),
    );
    if (found !== null) break;
  }
  if (found === "unreadable" || found === "failing") {
    ctx.logger.warn(
      { guild: guildId, question: question.number },
      "could not read the Nexus channel to settle an unposted question; trying again later",
    );
    return false;
  }
  if (found === null) {
    await markQuestionDeleted(ctx.store, guildId, question.number);
    return false;
  }
  // A thread /ask opened before it died may or may not have its intro: only a thread opened here gets one.
  const started = found.hasThread ? null : await startQuestionThread(ctx, guildId, question, found);
  const opened = typeof started === "string" ? null : started;
  const thread = found.hasThread
    ? ((await ctx.client.channels.fetch(found.id).catch(() => null))?.id ?? null)
    : (opened?.id ?? null);
  const attached = await attachQuestionMessage(ctx.store, guildId, question.number, {
    channelId: found.channelId,
    messageId: found.id,
    threadId: thread,
  });
  if (opened !== null) await introduceThread(ctx, guildId, attached, opened);
  return true;
}

/**
 * The outbox job (events/questionJobs.ts): questions and answers stored but never shown to be posted,
 * because the process died in between. Returns how many are now on Discord.
 */
export async function settleAbandoned(ctx: QaContext, guildId: string): Promise<number> {
  const due = await claimAbandoned(ctx.store, ctx.clock, guildId);
  let shown = 0;
  // Questions first: an answer to a question that turns out to be posted then lands in its thread.
  for (const entry of due.questions) if (await settleQuestion(ctx, guildId, entry)) shown++;
  for (const entry of due.answers) if (await settleAnswer(ctx, guildId, entry)) shown++;
  return shown;
}

// ——— /accept ———

function acceptedNote(guildId: string, result: AcceptResult): string {
  const { question, answer } = result;
  const id = answerId(question.number, answer.number);
  const link = messageLink(guildId, answer.channelId, answer.messageId);
  const moved = result.previous
    ? ` (instead of answer ${answerId(question.number, result.previous.number)})`
    : "";
  const points = !result.creditedTo
    ? ""
    : creditKept(result)
      ? ` <@${result.creditedTo}> keeps the 10 reputation of their earlier answer.`
      : ` <@${result.creditedTo}> earns 10 reputation.`;
  return `✅ ${link ? `[Answer ${id}](${link})` : `Answer ${id}`} is accepted${moved}: Q${question.number} is solved.${points}`;
}

/**
 * Shows an accepted answer on Discord: the question embed marked solved with a link to the answer, a note
 * in the thread, the thread renamed with the solved mark. Repeated on a repeated /accept, so a failed step
 * can be retried. Returns what could not be done, for the member who accepted.
 */
export async function showAccepted(ctx: QaContext, guildId: string, result: AcceptResult): Promise<string[]> {
  const { question, answer } = result;
  const notes: string[] = [];
  if (question.channelId !== null && question.messageId !== null) {
    try {
      await editQuestionEmbed(ctx, guildId, question.number);
    } catch (error) {
      if (!isGone(error) && !isForbidden(error) && discordCode(error) !== RESTJSONErrorCodes.UnknownMessage) {
        ctx.logger.warn(
          { err: error, guild: guildId, question: question.number },
          "could not mark a question solved",
        );
      }
      // Discord failing (a 5xx, a timeout) is neither: a repeated /accept edits the message again.
      notes.push(
        isTransientError(error)
          ? "Discord did not answer while I marked the question solved: " +
              "`/accept` the same answer again in a minute to finish."
          : "I could not update the question message (it may be deleted, or I lack permission).",
      );
    }
  }
  if (question.threadId !== null && !question.threadGone) {
    try {
      const thread = await ctx.client.channels.fetch(question.threadId);
      if (thread?.isThread()) {
        // The note first: posting in an archived (unlocked) thread unarchives it, so the rename can follow.
        // Once, even when Discord posts it but answers 5xx and discord.js sends it again (the accept's time
        // in the nonce: accepting the same answer again later gets a note of its own).
        if (result.changed) {
          await thread.send({
            content: acceptedNote(guildId, result),
            nonce: postNonce(
              guildId,
              `accepted|${answerId(question.number, answer.number)}|${question.accepted?.at}`,
            ),
            enforceNonce: true,
          });
        }
        const name = threadName(question);
        if (thread.name !== name) {
          await thread.edit({ name, ...(thread.archived && !thread.locked ? { archived: false } : {}) });
        }
      }
    } catch (error) {
      if (isGone(error)) {
        await markThreadGone(ctx.store, guildId, question.number);
        notes.push("The question's thread was deleted, so I could not mark it solved.");
      } else {
        if (!isForbidden(error))
          ctx.logger.warn(
            { err: error, guild: guildId, question: question.number },
            "could not mark a thread solved",
          );
        // Discord failing (a 5xx, a timeout) is not a permission an admin could give.
        notes.push(
          isTransientError(error)
            ? "Discord did not answer while I marked the question's thread solved: `/accept` the same answer again in a minute to finish."
            : "I could not mark the question's thread solved (I need **Send Messages in Threads** there).",
        );
      }
    }
  }
  return notes;
}

// ——— the 48 h nudge ———

/** One pass of the nudge job over one guild: claims each due question, then posts its nudge. */
export async function nudgeGuild(ctx: QaContext, guildId: string): Promise<number> {
  let sent = 0;
  for (const entry of await questionsDueForNudge(ctx.store, ctx.clock, guildId)) {
    const question = await claimNudge(ctx.store, ctx.clock, guildId, entry.n);
    if (question === null) continue;
    const delivery = await deliverToQuestion(
      ctx,
      guildId,
      question,
      { content: nudgeMessage(question) },
      (why) => `Q${question.number} is still waiting for an answer (posted here because ${why}).`,
      // Once, even when Discord posts it but answers 5xx and discord.js sends it again.
      {
        thread: postNonce(guildId, `nudge|${question.number}|thread`),
        channel: postNonce(guildId, `nudge|${question.number}|channel`),
      },
    );
    if (delivery.placement === "failed") {
      ctx.logger.warn(
        { guild: guildId, question: question.number, reason: delivery.reason },
        "could not post a nudge",
      );
    } else {
      sent += 1;
    }
  }
  return sent;
}
