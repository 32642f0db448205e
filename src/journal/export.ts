import type { Clock } from "../clock.js";
import { UserError } from "../discord/errors.js";
import { memberTimezone } from "../guild/members.js";
import type { Store } from "../store/store.js";
import { localDate } from "../time.js";
import { memberEntries } from "./entries.js";
import type { Entry, EntryKind } from "./records.js";
import { computeStreak, type StreakSummary } from "./streak.js";

export const EXPORT_FORMATS = ["markdown", "json"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export type ExportMeta = {
  userId: string;
  displayName: string;
  exportedAt: number;
  timezone: string;
  streak: StreakSummary;
};

export type JournalExport = { filename: string; content: string; entries: number };
export type ExportFile = { filename: string; content: string };

/** Discord's upload limit for a file where the interaction does not give one: 10 MiB. */
export const DEFAULT_FILE_BYTES = 10 * 1024 * 1024;
/** An export takes at most this many files (a message each). */
export const MAX_EXPORT_FILES = 10;

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

/** A URL as a Markdown autolink; the characters that would end it early are percent-encoded. */
const autolink = (url: string) => `<${url.replace(/[<>\s]/g, (c) => encodeURIComponent(c))}>`;

/**
 * Keeps user text a paragraph (or a list item's text) in CommonMark: a line that would open a heading,
 * quote, list, code fence, thematic break, setext underline, table (its delimiter row starts with `|`,
 * `-` or `:`), raw-HTML block or link reference definition (`[docs]: https://…`, which renders as
 * nothing) has its marker backslash-escaped (any ASCII punctuation may be), and an
 * ordered list's number its delimiter, `1\.` (a backslash before a digit would show). Indentation, which
 * can make a code block, is dropped. An unescaped `<script>` line would swallow the rest of the file.
 * Backticks and tildes are escaped only as a fence (three or more): a line that starts with a code span
 * keeps it (an escaped backtick would show, and the span's closing one would open another); and `[` only
 * as a definition, so a line that starts with a link keeps it. A definition's label may hold escaped
 * brackets (`[a\]b]:`) and go on over the next line (but not hold `[`): a definition all the same.
 * `[` is escaped as a task box too (`[ ] `, `[x] `): at the start of a list item GitHub draws a checkbox.
 */
const escapeBlockStart = (text: string) =>
  text
    .replace(/^[ \t]+/gm, "")
    .replace(/^(\d{1,9})([.)])(?=[ \t]|$)/gm, "$1\\$2")
    .replace(/^(?=[#>*+\-=_|:<]|`{3}|~{3}|\[(?:[^\\[\]]|\\[\s\S])*\]:|\[[ \txX]\](?=[ \t]|$))/gm, "\\");

/** What Markdown reads as an HTML entity or character reference (`&amp;`, `&#39;`, `&#x27;`) at an `&`. */
const ENTITY = /&(?:#\d{1,7}|#[xX][\da-fA-F]{1,6}|[A-Za-z][A-Za-z\d]{1,31});/y;

/**
 * Backslash-escapes every `<` outside code spans, so no HTML tag or autolink starts in user text:
 * `Promise<User>` shows as typed, and a `<script>` mid-line cannot make the rest of the file script.
 * So is an `&` that starts an entity: an entry about escaping that writes `&lt;` shows `&lt;`, not `<`.
 * Inside a code span `<` is already text (and a backslash would show). The backslash escapes the user
 * typed are kept whole, so `\<` does not become `\\<` (a backslash, then raw HTML); a backslash that ends a
 * line is doubled, so it shows as it does in Discord (not as a hard line break). Code spans end at a blank
 * line (a new paragraph), so each paragraph is scanned on its own.
 */
function escapeInlineHtml(text: string): string {
  return text
    .split(/(\n[ \t]*\n)/)
    .map((paragraph) => {
      let out = "";
      let i = 0;
      while (i < paragraph.length) {
        const c = paragraph.charAt(i);
        if (c === "\\") {
          // At a line's end a backslash is a hard line break, and vanishes: doubled, it shows as typed.
          const atLineEnd = paragraph.charAt(i + 1) === "\n";
          out += atLineEnd ? "\\\\" : paragraph.slice(i, i + 2);
          i += atLineEnd ? 1 : 2;
        } else if (c === "`") {
          let run = 1;
          while (paragraph.charAt(i + run) === "`") run += 1;
          // A code span closes at the next run of exactly as many backticks; without one they are text.
          const closer = new RegExp(`(?<!\`)\`{${run}}(?!\`)`, "g");
          closer.lastIndex = i + run;
          const end = closer.exec(paragraph);
          const next = end === null ? i + run : end.index + run;
          out += paragraph.slice(i, next);
          i = next;
        } else {
          ENTITY.lastIndex = i;
          out += c === "<" || (c === "&" && ENTITY.test(paragraph)) ? `\\${c}` : c;
          i += 1;
        }
      }
      return out;
    })
    .join("");
}

/**
 * Entry text as Markdown that renders as the text itself, in a list item or as paragraphs: block
 * starts first (their escapes are then kept whole by the inline pass), then inline HTML.
 */
const escapeEntryText = (text: string) => escapeInlineHtml(escapeBlockStart(text.replace(/\r\n?/g, "\n")));

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

const KIND_LABEL: Record<EntryKind, string> = {
  learning: "learning",
  challenge: "challenge",
  solution: "solution",
  "best-practice": "best practice",
};

type TopicGroup = { topic: string; entries: Entry[]; first: string; last: string };

/** Topics with their entries (oldest first), most covered first. */
function byTopic(entries: readonly Entry[]): TopicGroup[] {
  const groups = new Map<string, Entry[]>();
  for (const entry of [...entries].sort((a, b) => a.createdAt - b.createdAt || a.id - b.id)) {
    const list = groups.get(entry.topic) ?? [];
    list.push(entry);
    groups.set(entry.topic, list);
  }
  return [...groups]
    .map(([topic, list]) => {
      const days = list.map((entry) => entry.day).sort();
      return { topic, entries: list, first: days[0] ?? "", last: days[days.length - 1] ?? "" };
    })
    .sort((a, b) => b.entries.length - a.entries.length || a.topic.localeCompare(b.topic));
}

/** The pairing an entry is tagged with (`/learn log … pair:N`), as "pair #N", or null. */
const pairTag = (entry: Entry) =>
  entry.pairingId === null ? null : `pair #${escapeInlineHtml(oneLine(entry.pairingId))}`;

function ref(entry: Entry): string {
  const pair = pairTag(entry);
  return `${entry.day}, #${entry.id}${pair === null ? "" : `, ${pair}`}${entry.private ? ", private" : ""}`;
}

/**
 * The caller's journal in the Project Nexus documentation-hub shape: overview, technologies covered,
 * key concepts, challenges faced and solutions, best practices and takeaways, then every entry by topic.
 * Pure; no size limit (it is sent as a file).
 */
export function renderMarkdown(entries: readonly Entry[], meta: ExportMeta): string {
  const groups = byTopic(entries);
  const kinds = (kind: EntryKind) => entries.filter((entry) => entry.kind === kind).length;
  const days = entries.map((entry) => entry.day).sort();
  const out: string[] = [];
  const section = (title: string) => out.push("", `## ${title}`, "");

  out.push(
    `# Project Nexus — ${escapeInlineHtml(oneLine(meta.displayName))}'s learning journal`,
    "",
    `ProDev Backend program · exported ${localDate(meta.exportedAt, meta.timezone)} (${meta.timezone}) · ${plural(entries.length, "entry", "entries")}`,
  );

  section("Overview");
  if (entries.length === 0) {
    out.push("No entries yet. Log one with `/learn log`.");
  } else {
    out.push(
      `${plural(entries.length, "entry", "entries")} on ${plural(meta.streak.activeDays, "day")} between ${days[0]} and ${days[days.length - 1]}, ` +
        `covering ${plural(groups.length, "technology", "technologies")} of the ProDev Backend program.`,
      "",
      `- Learnings: ${kinds("learning")}`,
      `- Challenges: ${kinds("challenge")}`,
      `- Solutions: ${kinds("solution")}`,
      `- Best practices: ${kinds("best-practice")}`,
      `- Longest streak: ${plural(meta.streak.longest, "day")}; current streak: ${plural(meta.streak.current, "day")}`,
    );
  }

  section("Technologies covered");
  if (groups.length === 0) out.push("_None yet._");
  else {
    out.push("| Technology | Entries | First | Last |", "| --- | ---: | --- | --- |");
    for (const group of groups) {
      out.push(`| ${group.topic} | ${group.entries.length} | ${group.first} | ${group.last} |`);
    }
  }

  section("Key concepts");
  const learnings = groups.filter((group) => group.entries.some((entry) => entry.kind === "learning"));
  if (learnings.length === 0) out.push("_None yet: log with `kind:learning` (the default)._");
  for (const group of learnings) {
    out.push(`### ${group.topic}`, "");
    for (const entry of group.entries.filter((e) => e.kind === "learning")) {
      out.push(`- ${escapeEntryText(oneLine(entry.text))} (${ref(entry)})`);
    }
    out.push("");
  }

  section("Challenges faced and solutions");
  const problems = groups.filter((group) =>
    group.entries.some((entry) => entry.kind === "challenge" || entry.kind === "solution"),
  );
  if (problems.length === 0) out.push("_None yet: log with `kind:challenge` and `kind:solution`._");
  for (const group of problems) {
    out.push(`### ${group.topic}`, "");
    for (const entry of group.entries) {
      if (entry.kind !== "challenge" && entry.kind !== "solution") continue;
      const label = entry.kind === "challenge" ? "Challenge" : "Solution";
      out.push(`- **${label}** (${ref(entry)}): ${escapeEntryText(oneLine(entry.text))}`);
    }
    out.push("");
  }

  section("Best practices and takeaways");
  const practices = groups.flatMap((group) =>
    group.entries.filter((entry) => entry.kind === "best-practice"),
  );
  if (practices.length === 0) out.push("_None yet: log with `kind:best-practice`._");
  for (const entry of practices) {
    out.push(`- **${entry.topic}**: ${escapeEntryText(oneLine(entry.text))} (${ref(entry)})`);
  }

  section("Journal by topic");
  if (groups.length === 0) out.push("_Nothing logged yet._");
  for (const group of groups) {
    out.push(`### ${group.topic} (${plural(group.entries.length, "entry", "entries")})`, "");
    for (const entry of group.entries) {
      const edited = entry.editedAt === null ? "" : " · edited";
      const pair = pairTag(entry);
      out.push(
        `#### ${entry.day} · #${entry.id} · ${KIND_LABEL[entry.kind]}${pair === null ? "" : ` · ${pair}`}` +
          `${entry.private ? " · private" : ""}${edited}`,
      );
      out.push("", escapeEntryText(entry.text.trim()));
      if (entry.link !== null) out.push("", `Link: ${autolink(entry.link)}`);
      out.push("");
    }
  }
  return `${out
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()}\n`;
}

/** The same journal as JSON, for tools. */
export function renderJson(entries: readonly Entry[], meta: ExportMeta & { guildId: string }): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  return `${JSON.stringify(
    {
      format: "nexus-journal",
      version: 1,
      guildId: meta.guildId,
      userId: meta.userId,
      displayName: meta.displayName,
      exportedAt: iso(meta.exportedAt),
      timezone: meta.timezone,
      streak: {
        current: meta.streak.current,
        longest: meta.streak.longest,
        freezes: meta.streak.freezes,
        activeDays: meta.streak.activeDays,
      },
      entries: [...entries]
        .sort((a, b) => a.id - b.id)
        .map((entry) => ({
          id: entry.id,
          topic: entry.topic,
          kind: entry.kind,
          text: entry.text,
          link: entry.link,
          private: entry.private,
          day: entry.day,
          createdAt: iso(entry.createdAt),
          editedAt: entry.editedAt === null ? null : iso(entry.editedAt),
          pairingId: entry.pairingId,
        })),
    },
    null,
    2,
  )}\n`;
}

/** A file-name-safe form of a user name (falls back to the id). */
export function fileSafeName(name: string, fallback: string): string {
  const safe = name
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 64);
  return safe === "" ? fallback : safe;
}

/** `/learn export`: the caller's own journal (private entries included) as Markdown or JSON. */
export async function exportJournal(
  store: Store,
  clock: Clock,
  guildId: string,
  input: { userId: string; userName: string; displayName: string; format?: string | null },
): Promise<JournalExport> {
  const format = (input.format ?? "markdown").toLowerCase();
  if (format !== "markdown" && format !== "json") throw new UserError("The format is `markdown` or `json`.");
  const [entries, timezone] = await Promise.all([
    memberEntries(store, guildId, input.userId),
    memberTimezone(store, clock, guildId, input.userId),
  ]);
  if (entries.length === 0) throw new UserError("You have no journal entries yet: start with `/learn log`.");
  const now = clock.now();
  const meta: ExportMeta = {
    userId: input.userId,
    displayName: input.displayName,
    exportedAt: now,
    timezone,
    streak: computeStreak(
      entries.map((entry) => entry.day),
      localDate(now, timezone),
    ),
  };
  const base = `nexus-journal-${fileSafeName(input.userName, input.userId)}`;
  return format === "json"
    ? {
        filename: `${base}.json`,
        content: renderJson(entries, { ...meta, guildId }),
        entries: entries.length,
      }
    : { filename: `${base}.md`, content: renderMarkdown(entries, meta), entries: entries.length };
}

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

/**
 * Markdown in parts of at most `maxBytes`, cut at line ends, before the last heading that fits where there
 * is one (a part then opens with a section, a topic or an entry). Joined, the parts are the file.
 */
function splitMarkdown(content: string, maxBytes: number): string[] {
  const parts: string[] = [];
  let lines: string[] = [];
  let size = 0;
  /** Where the last heading in `lines` starts (0: none to cut before). */
  let heading = 0;
  for (const line of content.replace(/\n$/, "").split("\n")) {
    const lineBytes = bytes(line) + 1;
    // Twice at most: a cut before the heading can leave too much for this line, then a cut here.
    while (size + lineBytes > maxBytes && lines.length > 0) {
      const cut = heading > 0 ? heading : lines.length;
      parts.push(`${lines.slice(0, cut).join("\n")}\n`);
      lines = lines.slice(cut);
      size = lines.reduce((total, kept) => total + bytes(kept) + 1, 0);
      heading = 0;
    }
    if (line.startsWith("#") && lines.length > 0) heading = lines.length;
    lines.push(line);
    size += lineBytes;
  }
  if (lines.length > 0) parts.push(`${lines.join("\n")}\n`);
  return parts;
}

/**
 * The JSON export in parts of at most `maxBytes`: each a whole document with its share of the entries
 * (in id order) and `part: { index, of }`, so every file stands alone for tools.
 */
function splitJson(content: string, maxBytes: number): string[] {
  const { entries, ...head } = JSON.parse(content) as { entries: unknown[] };
  const render = (chunk: unknown[], index: number, of: number) =>
    `${JSON.stringify({ ...head, part: { index, of }, entries: chunk }, null, 2)}\n`;
  const overhead = bytes(render([], 1, 1)) + 64;
  const sizes = entries.map((entry) => bytes(JSON.stringify(entry, null, 2)) * 1.2 + 8);
  for (let budget = maxBytes - overhead; budget > 0; budget = Math.floor(budget * 0.9)) {
    const chunks: unknown[][] = [[]];
    let size = 0;
    entries.forEach((entry, i) => {
      const entryBytes = sizes[i] ?? 0;
      const last = chunks[chunks.length - 1] ?? [];
      if (size + entryBytes > budget && last.length > 0) {
        chunks.push([entry]);
        size = entryBytes;
      } else {
        last.push(entry);
        size += entryBytes;
      }
    });
    const parts = chunks.map((chunk, i) => render(chunk, i + 1, chunks.length));
    if (parts.every((part) => bytes(part) <= maxBytes)) return parts;
  }
  throw new Error(`a journal entry does not fit in ${maxBytes} bytes`);
}

/**
 * The export as files Discord takes: the file itself when it fits in `maxBytes` (the interaction's
 * attachment size limit), else numbered parts (`….part-2-of-3.md`). More parts than one export may send is
 * refused with what to do instead (a journal that large is many thousand entries).
 */
export function splitExport(file: JournalExport, maxBytes = DEFAULT_FILE_BYTES): ExportFile[] {
  if (bytes(file.content) <= maxBytes) return [{ filename: file.filename, content: file.content }];
  const json = file.filename.endsWith(".json");
  const parts = json ? splitJson(file.content, maxBytes) : splitMarkdown(file.content, maxBytes);
  if (parts.length > MAX_EXPORT_FILES) {
    const mb = Math.floor(maxBytes / (1024 * 1024));
    throw new UserError(
      `Your journal is too large to send: it needs ${parts.length} files of ${mb} MB and an export sends at most ` +
        `${MAX_EXPORT_FILES}.${json ? "" : " `/learn export format:json` holds each entry once and is smaller."}`,
    );
  }
  const stem = file.filename.replace(/\.(md|json)$/, "");
  const extension = json ? "json" : "md";
  return parts.map((content, i) => ({
    filename: `${stem}.part-${i + 1}-of-${parts.length}.${extension}`,
    content,
  }));
}
