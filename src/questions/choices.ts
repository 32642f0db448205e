import { LIMITS, truncate } from "../discord/text.js";
import { rankByRelevance } from "../search/text.js";
import type { Store } from "../store/store.js";
import { rankOpenQuestions, readIndex } from "./catalog.js";
import { type Answer, AnswerSchema, answerId, type IndexEntry, keys, QuestionSchema } from "./schema.js";

/** Autocomplete data for the Q&A commands: plain `{ label, value }` pairs, ready for `respond`. */

export type Choice<V> = { label: string; value: V };

const MAX_ANSWER_KEYS = 150;

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

export function questionLabel(entry: Pick<IndexEntry, "n" | "title" | "answers">): string {
  const answers = entry.answers === 1 ? "1 answer" : `${entry.answers} answers`;
  return truncate(`Q${entry.n} · ${oneLine(entry.title)} (${answers})`, LIMITS.choiceName);
}

/** `/answer question:` open questions, best match first. */
export async function openQuestionChoices(
  store: Store,
  guildId: string,
  typed: string,
): Promise<Choice<number>[]> {
  return rankOpenQuestions(await readIndex(store, guildId), typed, LIMITS.choices).map((entry) => ({
    label: questionLabel(entry),
    value: entry.n,
  }));
}

/**
 * `/accept answer:` the answers to the caller's own questions (open ones first, then newest), plus the
 * answers of the question whose number is being typed (so members with Manage Threads can reach any).
 */
export async function answerChoices(
  store: Store,
  guildId: string,
  userId: string,
  typed: string,
): Promise<Choice<string>[]> {
  const text = typed.trim();
  const entries = await readIndex(store, guildId);
  const own = entries
    .filter((entry) => entry.author === userId && entry.status !== "deleted" && entry.answers > 0)
    .sort(
      (a, b) =>
        Number(b.status === "open") - Number(a.status === "open") || b.createdAt - a.createdAt || b.n - a.n,
    );
  const typedNumber = /^q?(\d+)/i.exec(text)?.[1];
  const typedEntry = entries.find((entry) => String(entry.n) === typedNumber && entry.status !== "deleted");
  const questions = typedEntry ? [typedEntry, ...own.filter((entry) => entry !== typedEntry)] : own;

  const wanted: Array<{ entry: IndexEntry; answer: number }> = [];
  for (const entry of questions) {
    for (let a = entry.answers; a >= 1 && wanted.length < MAX_ANSWER_KEYS; a--)
      wanted.push({ entry, answer: a });
    if (wanted.length >= MAX_ANSWER_KEYS) break;
  }
  const answers = (
    await store.getMany(
      wanted.map((w) => keys.answer(guildId, w.entry.n, w.answer)),
      AnswerSchema,
    )
  ).filter((answer): answer is Answer => answer !== undefined);
  const solved = [...new Set(answers.map((answer) => answer.questionNumber))].filter(
    (n) => questions.find((entry) => entry.n === n)?.status === "solved",
  );
  const accepted = new Map<number, number>();
  for (const question of await store.getMany(
    solved.map((n) => keys.question(guildId, n)),
    QuestionSchema,
  )) {
    if (question?.accepted) accepted.set(question.number, question.accepted.answer);
  }

  let picked: Answer[];
  const idTyped = /^q?(\d+)(?:\s*[-#.:/]\s*(\d*))?$/i.exec(text);
  if (text === "") {
    picked = answers;
  } else if (idTyped) {
    const prefix = idTyped[2] === undefined ? null : `${idTyped[1]}-${idTyped[2]}`;
    picked = answers.filter((answer) =>
      prefix === null
        ? String(answer.questionNumber).startsWith(idTyped[1] ?? "")
        : answerId(answer.questionNumber, answer.number).startsWith(prefix),
    );
  } else {
    picked = rankByRelevance(
      answers,
      text,
      (answer) => answer.text,
      (answer) => answer.createdAt,
    ).map((r) => r.item);
  }
  return picked.slice(0, LIMITS.choices).map((answer) => {
    const id = answerId(answer.questionNumber, answer.number);
    const mark = accepted.get(answer.questionNumber) === answer.number ? "✅ " : "";
    return { label: truncate(`${mark}${id} · ${oneLine(answer.text)}`, LIMITS.choiceName), value: id };
  });
}
