import type { APIEmbed } from "discord.js";
import { embedLength } from "../discord/embed.js";
import { postNonce } from "../discord/nonce.js";
import { LIMITS, sanitize, truncate } from "../discord/text.js";
import type { Challenge, Difficulty } from "./bank.js";
import type { Day } from "./records.js";

/** What the scheduler asks the sender to post: embeds, and a public thread to open on the message. */
export type ChallengePayload = {
  embeds: APIEmbed[];
  thread?: { name: string };
};

const COLORS: Record<Difficulty, number> = { easy: 0x57f287, medium: 0xfee75c, hard: 0xed4245 };
const TRACK_LABELS = { backend: "Backend", frontend: "Frontend", pair: "Pair (backend + frontend)" } as const;

/**
 * A deterministic nonce (≤25 characters, Discord's limit) for one message of one guild's day: the same
 * (guild, date, what) always gives the same nonce, so a resend after a crash is deduplicated by Discord.
 */
export function challengeNonce(guildId: string, date: string, what: string): string {
  return postNonce(guildId, `${date}|${what}`);
}

const versionSuffix = (version: number) => (version > 0 ? ` · replacement ${version}` : "");

/** Embed footers double as markers: each names one message of one day, so it can be found again. */
export const markers = {
  post: (date: string, version: number, challengeId: string) =>
    `Daily challenge ${date} · ${challengeId}${versionSuffix(version)}`,
  hint: (date: string, version: number) => `Daily challenge ${date} · hint 1${versionSuffix(version)}`,
  reveal: (date: string) => `Daily challenge ${date} · model answer`,
};

const clean = (text: string, max: number) => truncate(sanitize(text), max);
const oneLine = (text: string, max: number) => truncate(sanitize(text, { oneLine: true }), max);

function facts(challenge: Challenge): APIEmbed["fields"] {
  return [
    { name: "Topic", value: oneLine(challenge.topic, LIMITS.embedFieldValue), inline: true },
    { name: "Difficulty", value: challenge.difficulty, inline: true },
    { name: "Track", value: TRACK_LABELS[challenge.track], inline: true },
  ];
}

export function threadName(date: string, challenge: Challenge): string {
  return oneLine(`${date} · ${challenge.title}`, LIMITS.threadName);
}

export function postEmbed(day: Pick<Day, "date" | "version" | "challenge">): APIEmbed {
  const { challenge } = day;
  return {
    title: oneLine(`Daily challenge: ${challenge.title}`, LIMITS.embedTitle),
    description: clean(challenge.prompt, LIMITS.embedDescription),
    color: COLORS[challenge.difficulty],
    fields: [
      ...(facts(challenge) ?? []),
      {
        name: "Take part",
        value:
          "Discuss in the thread. `/challenge submit` sends your answer (hidden until the reveal, editable " +
          "until then); `/challenge hint` shows the hints released so far. The model answer is revealed " +
          "in the thread when the next challenge is posted.",
      },
    ],
    footer: { text: markers.post(day.date, day.version, challenge.id) },
  };
}

export function postPayload(day: Pick<Day, "date" | "version" | "challenge">): ChallengePayload {
  return { embeds: [postEmbed(day)], thread: { name: threadName(day.date, day.challenge) } };
}

export function hintPayload(day: Pick<Day, "date" | "version" | "challenge">): ChallengePayload {
  const hint = day.challenge.hints[0] ?? "";
  return {
    embeds: [
      {
        title: oneLine(`Hint 1 · ${day.challenge.title}`, LIMITS.embedTitle),
        description: clean(hint, LIMITS.embedDescription),
        color: COLORS[day.challenge.difficulty],
        footer: { text: markers.hint(day.date, day.version) },
      },
    ],
  };
}

export function revealPayload(day: Pick<Day, "date" | "challenge">, submissions: number): ChallengePayload {
  const { challenge } = day;
  return {
    embeds: [
      {
        title: oneLine(`Model answer · ${challenge.title}`, LIMITS.embedTitle),
        description: clean(challenge.answer, LIMITS.embedDescription),
        color: COLORS[challenge.difficulty],
        fields: [
          {
            name: "Submissions",
            value: `${submissions} member${submissions === 1 ? "" : "s"} submitted an answer.`,
          },
          ...challenge.hints.map((hint, i) => ({
            name: `Hint ${i + 1}`,
            value: clean(hint, LIMITS.embedFieldValue),
          })),
        ],
        footer: { text: markers.reveal(day.date) },
      },
    ],
  };
}

/** `/challenge today` and `/challenge hint`: the challenge with the hints this member can see. */
export function memberViewEmbed(input: {
  day: Pick<Day, "date" | "version" | "challenge">;
  hints: readonly string[];
  submitted: boolean;
  points: number;
  threadUrl: string | null;
  hintsLeft: number;
}): APIEmbed {
  const base = postEmbed(input.day);
  const fields = [...(facts(input.day.challenge) ?? [])];
  input.hints.forEach((hint, i) => {
    fields.push({ name: `Hint ${i + 1}`, value: clean(hint, LIMITS.embedFieldValue), inline: false });
  });
  fields.push({
    name: "You",
    value:
      `${input.submitted ? "Submitted (you can edit it until the reveal)." : "Not submitted yet."} ` +
      `Worth **${input.points}** points${input.hintsLeft > 0 ? `; ${input.hintsLeft} more hint(s) available with \`/challenge hint early:true\`` : ""}.` +
      (input.threadUrl ? ` Discussion: ${input.threadUrl}` : ""),
    inline: false,
  });
  return {
    ...base,
    title: oneLine(`${input.day.date} · ${input.day.challenge.title}`, LIMITS.embedTitle),
    fields,
  };
}

/** Problems with an embed against Discord's limits (empty when it fits). */
export function embedProblems(embed: APIEmbed): string[] {
  const problems: string[] = [];
  if ((embed.title?.length ?? 0) > LIMITS.embedTitle) problems.push("title too long");
  if ((embed.description?.length ?? 0) > LIMITS.embedDescription) problems.push("description too long");
  if ((embed.footer?.text.length ?? 0) > LIMITS.embedFooter) problems.push("footer too long");
  if ((embed.fields ?? []).length > LIMITS.embedFields) problems.push("too many fields");
  for (const field of embed.fields ?? []) {
    if (field.name.length === 0 || field.name.length > LIMITS.embedFieldName) problems.push("field name");
    if (field.value.length === 0 || field.value.length > LIMITS.embedFieldValue) problems.push("field value");
  }
  if (embedLength(embed) > LIMITS.embedTotal) problems.push("total over 6000");
  return problems;
}
