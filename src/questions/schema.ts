import { z } from "zod";
import { guildKey } from "../store/keys.js";

/** Q&A rules, in one place: the commands' option limits and the error messages quote these. */
export const TITLE_MIN = 15;
export const TITLE_MAX = 200;
export const DETAILS_MAX = 2000;
export const ANSWER_MAX = 2000;
export const ACCEPT_POINTS = 10;
export const NUDGE_AFTER_MS = 48 * 60 * 60 * 1000;
/** Index and reputation-log records each cover this many question numbers (1–99 in chunk 0, …). */
export const CHUNK_SIZE = 100;
/** How much of a question's details is kept in the index for search (distinct words, lower case). */
export const KEYWORDS_MAX = 300;

const snowflake = z.string().regex(/^\d+$/, "must be a Discord id");
const instant = z.number().int().nonnegative();
const questionNumber = z.number().int().positive();

export const QuestionStatus = z.enum(["open", "solved", "deleted"]);
export type QuestionStatus = z.output<typeof QuestionStatus>;

/** The authoritative question record. */
export const QuestionSchema = z.object({
  number: questionNumber,
  authorId: snowflake,
  title: z.string().min(1).max(TITLE_MAX),
  details: z.string().max(DETAILS_MAX).nullable(),
  topic: z.string().max(100).nullable(),
  status: QuestionStatus,
  createdAt: instant,
  /** Where the question embed was posted; null until posted. */
  channelId: snowflake.nullable(),
  messageId: snowflake.nullable(),
  threadId: snowflake.nullable(),
  /** Discord said the thread no longer exists: answers go to the channel directly. */
  threadGone: z.boolean().default(false),
  answerCount: z.number().int().nonnegative(),
  accepted: z
    .object({
      answer: z.number().int().positive(),
      by: snowflake,
      at: instant,
      /** Who got the points (null for a self-answer). */
      creditedTo: snowflake.nullable(),
    })
    .nullable(),
  nudgedAt: instant.nullable(),
});
export type Question = z.output<typeof QuestionSchema>;

export const AnswerPlacement = z.enum(["pending", "thread", "channel", "failed"]);
export type AnswerPlacement = z.output<typeof AnswerPlacement>;

export const AnswerSchema = z.object({
  questionNumber,
  number: z.number().int().positive(),
  authorId: snowflake,
  text: z.string().min(1).max(ANSWER_MAX),
  createdAt: instant,
  channelId: snowflake.nullable(),
  messageId: snowflake.nullable(),
  placement: AnswerPlacement,
});
export type Answer = z.output<typeof AnswerSchema>;

/**
 * Questions and answers stored but not yet shown to be posted: `askQuestion` and `addAnswer` put one here
 * in the same write as the record, and recording where it landed (or that it will not be) takes it out.
 * `claimedAt` is when its posting started; an entry left behind by a process that died mid-way is settled
 * by the outbox job (events/questionJobs.ts).
 */
export const OutboxEntrySchema = z.object({
  q: questionNumber,
  a: z.number().int().positive(),
  claimedAt: instant,
  /** Posts of the answer Discord did not answer (an outage): retried, backing off (src/retry.ts). */
  tries: z.number().int().nonnegative().optional(),
});
export type OutboxEntry = z.output<typeof OutboxEntrySchema>;
export const OutboxQuestionSchema = z.object({
  q: questionNumber,
  claimedAt: instant,
  /** The channel /ask was posting in (the Nexus channel may have been changed since); absent in older entries. */
  channelId: snowflake.optional(),
});
export type OutboxQuestion = z.output<typeof OutboxQuestionSchema>;
export const OutboxSchema = z.object({
  answers: z.array(OutboxEntrySchema).default([]),
  questions: z.array(OutboxQuestionSchema).default([]),
});
export type Outbox = z.output<typeof OutboxSchema>;
/** Entries of each kind kept at most (the oldest dropped first; each is one post that never finished). */
export const OUTBOX_MAX = 500;

/** A compact summary of one question, kept in the per-guild index for lists, search and jobs. */
export const IndexEntrySchema = z.object({
  n: questionNumber,
  author: snowflake,
  title: z.string().max(TITLE_MAX),
  topic: z.string().nullable(),
  status: QuestionStatus,
  answers: z.number().int().nonnegative(),
  createdAt: instant,
  nudged: z.boolean(),
  channelId: snowflake.nullable(),
  messageId: snowflake.nullable(),
  /** Distinct words of the details, so search sees them without reading every record. */
  kw: z.string().max(KEYWORDS_MAX),
});
export type IndexEntry = z.output<typeof IndexEntrySchema>;

export const IndexChunkSchema = z.object({ entries: z.array(IndexEntrySchema) });

/** The guild's highest question number, and the index version (bumped by every index change). */
export const MetaSchema = z.object({
  lastNumber: z.number().int().nonnegative(),
  version: z.number().int().nonnegative().default(0),
});
export type Meta = z.output<typeof MetaSchema>;

/** One reputation event: `points` to `userId` for the accepted answer of a question. */
export const RepEventSchema = z.object({
  userId: snowflake,
  points: z.number().int(),
  at: instant,
  questionNumber,
  answerNumber: z.number().int().positive(),
  /** Set when the asker accepted another answer: the credit moved, this event no longer counts. */
  revokedAt: instant.nullable(),
});
export type RepEvent = z.output<typeof RepEventSchema>;

export const RepLogChunkSchema = z.object({ events: z.array(RepEventSchema) });

export const MemberRepSchema = z.object({
  points: z.number().int(),
  accepted: z.number().int().nonnegative(),
  updatedAt: instant,
});
export type MemberRep = z.output<typeof MemberRepSchema>;

export const chunkOf = (questionNumber: number) => Math.floor(questionNumber / CHUNK_SIZE);

/** Keys: everything under `guild:{id}:questions:…`. */
export const keys = {
  meta: (guildId: string) => guildKey(guildId, "questions", "meta"),
  question: (guildId: string, n: number) => guildKey(guildId, "questions", "q", n),
  answer: (guildId: string, n: number, a: number) => guildKey(guildId, "questions", "a", n, a),
  outbox: (guildId: string) => guildKey(guildId, "questions", "outbox"),
  index: (guildId: string, chunk: number) => guildKey(guildId, "questions", "index", chunk),
  repLog: (guildId: string, chunk: number) => guildKey(guildId, "questions", "replog", chunk),
  memberRep: (guildId: string, userId: string) => guildKey(guildId, "questions", "rep", userId),
};

/** The chunk numbers that exist when the highest question number is `lastNumber`. */
export function chunksUpTo(lastNumber: number): number[] {
  if (lastNumber <= 0) return [];
  return Array.from({ length: chunkOf(lastNumber) + 1 }, (_, i) => i);
}

export function messageLink(
  guildId: string,
  channelId: string | null,
  messageId: string | null,
): string | null {
  return channelId && messageId ? `https://discord.com/channels/${guildId}/${channelId}/${messageId}` : null;
}

export const answerId = (questionNumber: number, answerNumber: number) => `${questionNumber}-${answerNumber}`;
