import type { Clock } from "../clock.js";
import type { Store } from "../store/store.js";
import { readIndex, upsertIndex } from "./catalog.js";
import { getQuestion } from "./questions.js";
import { type IndexEntry, keys, NUDGE_AFTER_MS, type Question, QuestionSchema } from "./schema.js";

/** What is due at `now`: open, posted questions with no answer after NUDGE_AFTER_MS, never nudged (pure). */
export function dueForNudge(entries: readonly IndexEntry[], now: number): IndexEntry[] {
  return entries
    .filter(
      (entry) =>
        entry.status === "open" &&
        entry.answers === 0 &&
        !entry.nudged &&
        entry.messageId !== null &&
        now - entry.createdAt >= NUDGE_AFTER_MS,
    )
    .sort((a, b) => a.createdAt - b.createdAt || a.n - b.n);
}

export async function questionsDueForNudge(
  store: Store,
  clock: Clock,
  guildId: string,
): Promise<IndexEntry[]> {
  return dueForNudge(await readIndex(store, guildId), clock.now());
}

/**
 * Marks the question nudged if it still qualifies, before anything is posted, so a nudge is sent at
 * most once even across restarts and overlapping runs. Returns the question to nudge, or null.
 */
export async function claimNudge(
  store: Store,
  clock: Clock,
  guildId: string,
  questionNumber: number,
): Promise<Question | null> {
  return store.locked(guildId, async (store) => {
    const question = await getQuestion(store, guildId, questionNumber);
    const now = clock.now();
    if (
      question === undefined ||
      question.status !== "open" ||
      question.answerCount > 0 ||
      question.nudgedAt !== null ||
      now - question.createdAt < NUDGE_AFTER_MS
    ) {
      return null;
    }
    const nudged = QuestionSchema.parse({ ...question, nudgedAt: now });
    await upsertIndex(store, guildId, nudged, () =>
      store.set(keys.question(guildId, questionNumber), QuestionSchema, nudged),
    );
    return nudged;
  });
}
