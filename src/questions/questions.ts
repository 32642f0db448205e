import { z } from "zod";
import type { Clock } from "../clock.js";
import { UserError } from "../discord/errors.js";
import { atMostChars, charLength, quoted } from "../discord/text.js";
import { RETRY_TRIES_MAX, retryDelay } from "../retry.js";
import type { Store } from "../store/store.js";
import { parseTopic } from "../topics.js";
import { readMeta, upsertIndex } from "./catalog.js";
import { creditAnswer, revokeCredit } from "./reputation.js";
import {
  ANSWER_MAX,
  type Answer,
  type AnswerPlacement,
  AnswerSchema,
  answerId,
  DETAILS_MAX,
  keys,
  OUTBOX_MAX,
  type Outbox,
  type OutboxEntry,
  OutboxEntrySchema,
  type OutboxQuestion,
  OutboxQuestionSchema,
  OutboxSchema,
  type Question,
  QuestionSchema,
  TITLE_MAX,
  TITLE_MIN,
} from "./schema.js";

export function parseTitle(input: string): string {
  const title = input.replace(/\s+/g, " ").trim();
  const length = charLength(title);
  if (length < TITLE_MIN || length > TITLE_MAX) {
    throw new UserError(
      `A question title is ${TITLE_MIN}–${TITLE_MAX} characters (yours is ${length}). ` +
        (length < TITLE_MIN ? "Say what you tried and what goes wrong." : "Put the rest in `details`."),
    );
  }
  return title;
}

export function parseDetails(input: string | null | undefined): string | null {
  const details = input?.trim() ?? "";
  if (details === "") return null;
  if (!atMostChars(details, DETAILS_MAX)) {
    throw new UserError(
      `Question details are at most ${DETAILS_MAX} characters (yours are ${charLength(details)}).`,
    );
  }
  return details;
}

export function parseAnswerText(input: string): string {
  const text = input.trim();
  if (text === "") throw new UserError("An answer needs some text.");
  if (!atMostChars(text, ANSWER_MAX)) {
    throw new UserError(`An answer is at most ${ANSWER_MAX} characters (yours is ${charLength(text)}).`);
  }
  return text;
}

/** Answer ids are `question-answer`, e.g. `12-3` for the third answer to Q12 (`Q12-3` works too). */
export const ANSWER_ID_PATTERN = /^\s*q?(\d{1,9})\s*[-#.:/]\s*(\d{1,9})\s*$/i;

export function parseAnswerId(input: string): { questionNumber: number; answerNumber: number } {
  const match = ANSWER_ID_PATTERN.exec(input);
  const questionNumber = Number(match?.[1]);
  const answerNumber = Number(match?.[2]);
  if (!match || questionNumber < 1 || answerNumber < 1) {
    throw new UserError(
      `${quoted(input, 80)} is not an answer id. Answer ids look like \`12-3\` (question 12, answer 3): pick one from the list.`,
    );
  }
  return { questionNumber, answerNumber };
}

export async function getQuestion(
  store: Store,
  guildId: string,
  questionNumber: number,
): Promise<Question | undefined> {
  return store.get(keys.question(guildId, questionNumber), QuestionSchema);
}

/** The question, or a UserError naming the id when there is none. */
export async function requireQuestion(
  store: Store,
  guildId: string,
  questionNumber: number,
): Promise<Question> {
  const question = Number.isInteger(questionNumber)
    ? await getQuestion(store, guildId, questionNumber)
    : undefined;
  if (question === undefined) {
    throw new UserError(
      `There is no question Q${questionNumber} in this server. Pick one from the list, or see \`/questions open\`.`,
    );
  }
  return question;
}

export async function getAnswer(
  store: Store,
  guildId: string,
  questionNumber: number,
  answerNumber: number,
): Promise<Answer | undefined> {
  return store.get(keys.answer(guildId, questionNumber, answerNumber), AnswerSchema);
}

/** All answers of a question, in number order (one read). */
export async function answersOf(store: Store, guildId: string, question: Question): Promise<Answer[]> {
  const numbers = Array.from({ length: question.answerCount }, (_, i) => i + 1);
  const answers = await store.getMany(
    numbers.map((a) => keys.answer(guildId, question.number, a)),
    AnswerSchema,
  );
  return answers.filter((answer): answer is Answer => answer !== undefined);
}

/** Writes a question record and its index summary together. Inside the guild lock. */
async function saveQuestion(store: Store, guildId: string, question: Question): Promise<Question> {
  const saved = QuestionSchema.parse(question);
  await upsertIndex(store, guildId, saved, () =>
    store.set(keys.question(guildId, saved.number), QuestionSchema, saved),
  );
  return saved;
}

/** Read-modify-write of one question (record + index) under the guild lock. */
async function changeQuestion(
  store: Store,
  guildId: string,
  questionNumber: number,
  fn: (question: Question) => Question,
): Promise<Question> {
  return store.locked(guildId, async (store) => {
    const question = await requireQuestion(store, guildId, questionNumber);
    return saveQuestion(store, guildId, fn(question));
  });
}

export type AskInput = {
  authorId: string;
  title: string;
  details?: string | null;
  topic?: string | null;
};

/**
 * `/ask`: validates, takes the guild's next question number and stores the question (not yet posted).
 * `postingTo`: the channel it is about to be posted in, kept with its outbox entry for the job to look in.
 */
export async function askQuestion(
  store: Store,
  clock: Clock,
  guildId: string,
  input: AskInput,
  postingTo?: string,
): Promise<Question> {
  const title = parseTitle(input.title);
  const details = parseDetails(input.details);
  const topic = input.topic ? parseTopic(input.topic) : null;
  return store.locked(guildId, async (store) => {
    // The number is taken under the lock; saving the question's index entry moves the counter to it.
    // A lost or damaged counter is rebuilt from the question records, so no number is ever reused.
    const meta = await readMeta(store, guildId);
    const question = await saveQuestion(store, guildId, {
      number: meta.lastNumber + 1,
      authorId: input.authorId,
      title,
      details,
      topic,
      status: "open",
      createdAt: clock.now(),
      channelId: null,
      messageId: null,
      threadId: null,
      threadGone: false,
      answerCount: 0,
      accepted: null,
      nudgedAt: null,
    });
    // In the same write: if the process dies before the question is posted, the outbox job settles it.
    await changeOutbox(store, guildId, (outbox) => ({
      ...outbox,
      questions: [
        ...outbox.questions,
        {
          q: question.number,
          claimedAt: question.createdAt,
          ...(postingTo === undefined ? {} : { channelId: postingTo }),
        },
      ],
    }));
    return question;
  });
}

/** Records where the question embed and its thread were posted. */
export async function attachQuestionMessage(
  store: Store,
  guildId: string,
  questionNumber: number,
  posted: { channelId: string; messageId: string; threadId: string | null },
): Promise<Question> {
  return store.locked(guildId, async (store) => {
    await dropOutboxQuestion(store, guildId, questionNumber);
    return changeQuestion(store, guildId, questionNumber, (question) => ({
      ...question,
      ...posted,
      threadGone: false,
    }));
  });
}

/** The question's message could not be posted or is gone: it leaves every list and takes no answers. */
export async function markQuestionDeleted(
  store: Store,
  guildId: string,
  questionNumber: number,
): Promise<Question> {
  return store.locked(guildId, async (store) => {
    await dropOutboxQuestion(store, guildId, questionNumber);
    return changeQuestion(store, guildId, questionNumber, (question) => ({ ...question, status: "deleted" }));
  });
}

/** Discord said the thread no longer exists: later answers go straight to the channel. */
export async function markThreadGone(
  store: Store,
  guildId: string,
  questionNumber: number,
): Promise<Question> {
  return changeQuestion(store, guildId, questionNumber, (question) => ({ ...question, threadGone: true }));
}

/**
 * An open question whose message is not recorded yet: a live `/ask` is still posting it, or a dead one left
 * it for the outbox job to attach. Its answers wait in the outbox until then: there is nowhere to post them.
 */
export const awaitsItsPost = (question: Question): boolean =>
  question.status === "open" && question.messageId === null;

function refuseClosed(question: Question, action: string): void {
  if (question.status === "deleted") {
    throw new UserError(`Q${question.number} was deleted, so you cannot ${action} it any more.`);
  }
}

export type AnswerInput = { questionNumber: number; authorId: string; text: string };

/**
 * `/answer`: stores the answer with the question's next answer number before anything is posted, so an
 * acknowledged answer is never lost. Solved and deleted questions take no new answers.
 */
export async function addAnswer(
  store: Store,
  clock: Clock,
  guildId: string,
  input: AnswerInput,
): Promise<{ question: Question; answer: Answer }> {
  const text = parseAnswerText(input.text);
  return store.locked(guildId, async (store) => {
    const question = await requireQuestion(store, guildId, input.questionNumber);
    refuseClosed(question, "answer");
    if (question.status === "solved") {
      throw new UserError(
        `Q${question.number} is already solved (answer ${answerId(question.number, question.accepted?.answer ?? 0)} was accepted), so it takes no new answers. If you have a different problem, ask it with /ask.`,
      );
    }
    const answer = await store.set(
      keys.answer(guildId, question.number, question.answerCount + 1),
      AnswerSchema,
      {
        questionNumber: question.number,
        number: question.answerCount + 1,
        authorId: input.authorId,
        text,
        createdAt: clock.now(),
        channelId: null,
        messageId: null,
        placement: "pending",
      },
    );
    const saved = await saveQuestion(store, guildId, { ...question, answerCount: answer.number });
    // In the same write as the answer: if the process dies before the answer is posted, the outbox job
    // still knows to post it.
    await changeOutbox(store, guildId, (outbox) => ({
      ...outbox,
      answers: [...outbox.answers, { q: question.number, a: answer.number, claimedAt: answer.createdAt }],
    }));
    return { question: saved, answer };
  });
}

async function readOutbox(store: Store, guildId: string): Promise<Outbox> {
  return (await storedOutbox(store, guildId)).outbox;
}

/** Each list of a damaged outbox on its own, so its entries can be salvaged one by one. */
const SalvagedOutboxSchema = z.object({
  answers: z.array(z.unknown()).catch([]),
  questions: z.array(z.unknown()).catch([]),
});

/**
 * The outbox, and whether the stored record was read whole (`intact`; not when it is absent, nor when it
 * is text that cannot even be decoded, which the store also reads as absent). A damaged one is salvaged
 * entry by entry: each entry is a post that never finished (its record stays "pending" for good once it
 * leaves the outbox), so the entries that still read are kept, and only those that do not are lost.
 */
async function storedOutbox(store: Store, guildId: string): Promise<{ outbox: Outbox; intact: boolean }> {
  const outbox = await store.get(keys.outbox(guildId), OutboxSchema);
  if (outbox !== undefined) return { outbox, intact: true };
  const raw = await store.get(keys.outbox(guildId), z.unknown());
  if (raw === undefined) return { outbox: { answers: [], questions: [] }, intact: false };
  const lists = SalvagedOutboxSchema.safeParse(raw);
  const valid = <S extends z.ZodType>(items: unknown[], schema: S): Array<z.output<S>> =>
    items.flatMap((item) => {
      const entry = schema.safeParse(item);
      return entry.success ? [entry.data as z.output<S>] : [];
    });
  return {
    outbox: {
      answers: valid(lists.success ? lists.data.answers : [], OutboxEntrySchema),
      questions: valid(lists.success ? lists.data.questions : [], OutboxQuestionSchema),
    },
    intact: false,
  };
}

/** Read-modify-write of the outbox; written only when `fn` changed it. Inside the guild lock. */
async function changeOutbox(store: Store, guildId: string, fn: (outbox: Outbox) => Outbox): Promise<void> {
  const { outbox, intact } = await storedOutbox(store, guildId);
  const next = fn(outbox);
  if (next.answers === outbox.answers && next.questions === outbox.questions) return;
  const value = { answers: next.answers.slice(-OUTBOX_MAX), questions: next.questions.slice(-OUTBOX_MAX) };
  // Unless read whole, written through `update`, which copies a damaged record aside under `quarantine:`
  // first: an undecodable one read as absent, so "absent" is checked there too.
  if (intact) await store.set(keys.outbox(guildId), OutboxSchema, value);
  else await store.update(keys.outbox(guildId), OutboxSchema, () => value);
}

async function dropOutboxQuestion(store: Store, guildId: string, questionNumber: number): Promise<void> {
  await changeOutbox(store, guildId, (outbox) =>
    outbox.questions.some((entry) => entry.q === questionNumber)
      ? { ...outbox, questions: outbox.questions.filter((entry) => entry.q !== questionNumber) }
      : outbox,
  );
}

/**
 * Records where an answer landed (or that it could not be posted), and takes it out of the outbox: its
 * posting is over either way.
 */
export async function recordAnswerPlacement(
  store: Store,
  guildId: string,
  questionNumber: number,
  answerNumber: number,
  placed: { placement: AnswerPlacement; channelId: string | null; messageId: string | null },
): Promise<Answer | undefined> {
  return store.locked(guildId, async (store) => {
    await changeOutbox(store, guildId, (outbox) => {
      const answers = outbox.answers.filter(
        (entry) => entry.q !== questionNumber || entry.a !== answerNumber,
      );
      return answers.length === outbox.answers.length ? outbox : { ...outbox, answers };
    });
    const current = await getAnswer(store, guildId, questionNumber, answerNumber);
    if (current === undefined) return undefined;
    return store.set(keys.answer(guildId, questionNumber, answerNumber), AnswerSchema, {
      ...current,
      ...placed,
    });
  });
}

/** An answer whose posting started this long ago and was never recorded is presumed abandoned. */
export const REPOST_AFTER_MS = 2 * 60_000;
/**
 * The same for a question, whose settling may withdraw it: only once `/ask`'s own interaction is over
 * (Discord's token lasts 15 minutes), so a post that is merely slow is never withdrawn under it.
 */
export const SETTLE_QUESTION_AFTER_MS = 15 * 60_000;
/** Abandoned entries of each kind claimed in one pass, at most (each is a few REST calls). */
export const REPOSTS_PER_PASS = 25;

/**
 * An answer whose post Discord did not answer (an outage, after discord.js's own retries): kept in the
 * outbox, to be looked for and posted by the outbox job after a wait that doubles with each try
 * (src/retry.ts). False once the tries are spent: the answer is then recorded "failed".
 */
export async function retryAnswerLater(
  store: Store,
  clock: Clock,
  guildId: string,
  questionNumber: number,
  answerNumber: number,
): Promise<boolean> {
  const mine = (entry: OutboxEntry) => entry.q === questionNumber && entry.a === answerNumber;
  return store.locked(guildId, async (store) => {
    const tries = ((await readOutbox(store, guildId)).answers.find(mine)?.tries ?? 0) + 1;
    if (tries >= RETRY_TRIES_MAX) {
      const failed = { placement: "failed", channelId: null, messageId: null } as const;
      await recordAnswerPlacement(store, guildId, questionNumber, answerNumber, failed);
      return false;
    }
    // Due once REPOST_AFTER_MS has passed since `claimedAt`: set so that it is due after the back-off.
    const claimedAt = clock.now() + retryDelay(tries) - REPOST_AFTER_MS;
    await changeOutbox(store, guildId, (outbox) => ({
      ...outbox,
      answers: [
        ...outbox.answers.filter((entry) => !mine(entry)),
        { q: questionNumber, a: answerNumber, claimedAt, tries },
      ],
    }));
    return true;
  });
}

/**
 * The outbox entries whose posting started long enough ago (`REPOST_AFTER_MS`, `SETTLE_QUESTION_AFTER_MS`)
 * and was never recorded (the process died between storing the record and recording where it landed),
 * oldest first. They are claimed (their `claimedAt` is now), so the next pass leaves them alone while
 * this one settles them.
 */
export async function claimAbandoned(
  store: Store,
  clock: Clock,
  guildId: string,
): Promise<{ answers: OutboxEntry[]; questions: OutboxQuestion[] }> {
  const isDue = (entry: OutboxEntry) => clock.now() - entry.claimedAt >= REPOST_AFTER_MS;
  const isDueQuestion = (entry: OutboxQuestion) => clock.now() - entry.claimedAt >= SETTLE_QUESTION_AFTER_MS;
  const stored = await readOutbox(store, guildId);
  // Most passes find nothing: no lock for them.
  if (!stored.answers.some(isDue) && !stored.questions.some(isDueQuestion)) {
    return { answers: [], questions: [] };
  }
  return store.locked(guildId, async (store) => {
    let claimed = { answers: [] as OutboxEntry[], questions: [] as OutboxQuestion[] };
    await changeOutbox(store, guildId, (outbox) => {
      const now = clock.now();
      claimed = {
        answers: outbox.answers.filter(isDue).slice(0, REPOSTS_PER_PASS),
        questions: outbox.questions.filter(isDueQuestion).slice(0, REPOSTS_PER_PASS),
      };
      if (claimed.answers.length + claimed.questions.length === 0) return outbox;
      const taken = new Set<object>([...claimed.answers, ...claimed.questions]);
      const renew = <T extends { claimedAt: number }>(entry: T): T =>
        taken.has(entry) ? { ...entry, claimedAt: now } : entry;
      return { answers: outbox.answers.map(renew), questions: outbox.questions.map(renew) };
    });
    return claimed;
  });
}

/** Takes a question out of the outbox without changing it (it needs nothing more). */
export async function forgetOutboxQuestion(
  store: Store,
  guildId: string,
  questionNumber: number,
): Promise<void> {
  await store.locked(guildId, (store) => dropOutboxQuestion(store, guildId, questionNumber));
}

export type AcceptInput = {
  answerId: string;
  by: string;
  /**
   * Whether the member has Manage Threads in the question's channel (null: the question is not posted yet),
   * so may accept on anyone's question. Asked of that channel: overwrites make a moderator of one channel
   * no moderator of another.
   */
  canManageThreads: (channelId: string | null) => boolean;
};

export type AcceptResult = {
  question: Question;
  answer: Answer;
  /** The answer that was accepted before, when the credit moved. */
  previous: Answer | null;
  /** False when this answer was already the accepted one (nothing changed; safe to repeat). */
  changed: boolean;
  /** Who earned the points (null for a self-answer). */
  creditedTo: string | null;
};

/**
 * Whether the credit stayed with the same helper: another of their answers accepted in place of theirs.
 * Their 10 points are kept, none are earned again (what /accept and its thread note say).
 */
export function creditKept(result: AcceptResult): boolean {
  return result.creditedTo !== null && result.previous?.authorId === result.creditedTo;
}

/**
 * `/accept`: marks the answer accepted and moves the reputation with it, all under the guild lock, so
 * racing accepts leave exactly one accepted answer and one live credit.
 */
export async function acceptAnswer(
  store: Store,
  clock: Clock,
  guildId: string,
  input: AcceptInput,
): Promise<AcceptResult> {
  const { questionNumber, answerNumber } = parseAnswerId(input.answerId);
  return store.locked(guildId, async (store) => {
    const question = await requireQuestion(store, guildId, questionNumber);
    refuseClosed(question, "accept an answer on");
    // Its answers wait for its message too (awaitsItsPost), and nothing could be marked solved on Discord.
    if (awaitsItsPost(question)) {
      throw new UserError(
        `Q${question.number} is not on Discord yet (it is still being posted). Try again in a minute or two.`,
      );
    }
    const byAsker = question.authorId === input.by;
    if (!byAsker && !input.canManageThreads(question.channelId)) {
      throw new UserError(
        `Only the asker of Q${question.number} (<@${question.authorId}>) or a member with **Manage Threads**${question.channelId ? ` in <#${question.channelId}>` : ""} can accept an answer.`,
      );
    }
    const answer = await getAnswer(store, guildId, questionNumber, answerNumber);
    if (answer === undefined) {
      throw new UserError(
        `Q${question.number} has no answer ${answerId(questionNumber, answerNumber)} (it has ${question.answerCount}).`,
      );
    }
    // Manage Threads is to accept for an absent asker, not to credit oneself.
    if (!byAsker && answer.authorId === input.by) {
      throw new UserError(
        `Answer ${answerId(questionNumber, answerNumber)} is your own: only the asker of Q${question.number} (<@${question.authorId}>) or another member with **Manage Threads** can accept it.`,
      );
    }
    const current = question.accepted;
    if (current?.answer === answerNumber) {
      return { question, answer, previous: null, changed: false, creditedTo: current.creditedTo };
    }
    const previous = current
      ? ((await getAnswer(store, guildId, questionNumber, current.answer)) ?? null)
      : null;
    await revokeCredit(store, clock, guildId, questionNumber);
    const creditedTo = answer.authorId === question.authorId ? null : answer.authorId;
    if (creditedTo !== null) {
      await creditAnswer(store, clock, guildId, { questionNumber, answerNumber, userId: creditedTo });
    }
    const saved = await saveQuestion(store, guildId, {
      ...question,
      status: "solved",
      accepted: { answer: answerNumber, by: input.by, at: clock.now(), creditedTo },
    });
    return { question: saved, answer, previous, changed: true, creditedTo };
  });
}
