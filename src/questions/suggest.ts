import { searchJournal } from "../journal/search.js";
import type { Store } from "../store/store.js";
import { rankQuestions, readIndex } from "./catalog.js";
import { getAnswer, getQuestion } from "./questions.js";
import { answerId, type IndexEntry, messageLink, type Question } from "./schema.js";

export type JournalSuggestion = Awaited<ReturnType<typeof searchJournal>>[number];

export type SimilarQuestion = {
  entry: IndexEntry;
  link: string | null;
  /** The accepted answer of a solved question, with a link when it was posted. */
  accepted: { id: string; link: string | null } | null;
};

export type Suggestions = { questions: SimilarQuestion[]; journal: JournalSuggestion[] };

/** How close to the best match a candidate must be to be shown (a fraction of the best score). */
const MIN_RELATIVE_SCORE = 0.3;
const CANDIDATES = 10;

export function similarityQuery(question: Pick<Question, "title" | "details" | "topic">): string {
  return [question.title, question.topic ?? "", question.details ?? ""].join(" ");
}

/**
 * Up to `limit` earlier questions like this one: the ten most relevant (BM25 over title, topic and
 * details' words) that score at least 30 % of the best, solved ones first, then by relevance.
 */
export function rankSimilar(
  entries: readonly IndexEntry[],
  question: Pick<Question, "number" | "title" | "details" | "topic">,
  limit = 3,
): IndexEntry[] {
  const earlier = entries.filter((entry) => entry.n < question.number && entry.status !== "deleted");
  const ranked = rankQuestions(earlier, similarityQuery(question));
  const best = ranked[0]?.score ?? 0;
  return ranked
    .filter((r) => r.score >= best * MIN_RELATIVE_SCORE)
    .slice(0, CANDIDATES)
    .map((r, rank) => ({ entry: r.item, rank }))
    .sort(
      (a, b) => Number(b.entry.status === "solved") - Number(a.entry.status === "solved") || a.rank - b.rank,
    )
    .slice(0, limit)
    .map((r) => r.entry);
}

/** What the first message of a new question's thread suggests: similar solved questions and journal entries. */
export async function suggestionsFor(
  store: Store,
  guildId: string,
  question: Question,
  limit = 3,
): Promise<Suggestions> {
  const [entries, journal] = await Promise.all([
    readIndex(store, guildId),
    searchJournal(store, guildId, `${question.title} ${question.topic ?? ""}`, {
      limit,
      includePrivate: false,
    }),
  ]);
  const similar = rankSimilar(entries, question, limit);
  const questions = await Promise.all(
    similar.map(async (entry): Promise<SimilarQuestion> => {
      const link = messageLink(guildId, entry.channelId, entry.messageId);
      if (entry.status !== "solved") return { entry, link, accepted: null };
      const record = await getQuestion(store, guildId, entry.n);
      const acceptedNumber = record?.accepted?.answer;
      if (acceptedNumber === undefined) return { entry, link, accepted: null };
      const answer = await getAnswer(store, guildId, entry.n, acceptedNumber);
      return {
        entry,
        link,
        accepted: {
          id: answerId(entry.n, acceptedNumber),
          link: answer ? messageLink(guildId, answer.channelId, answer.messageId) : null,
        },
      };
    }),
  );
  return { questions, journal: journal.slice(0, limit) };
}
