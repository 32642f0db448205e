/** Discord's limits (developer documentation), in one place. */
export const LIMITS = {
  content: 2000,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  embedFieldName: 256,
  embedFieldValue: 1024,
  embedFooter: 2048,
  embedAuthor: 256,
  embedTotal: 6000,
  embedsPerMessage: 10,
  choices: 25,
  choiceName: 100,
  choiceValue: 100,
  threadName: 100,
  customId: 100,
} as const;

/**
 * The length of `text` as Discord counts it: in code points (its API is Python, where `len` counts code
 * points), not in UTF-16 units (`.length`, which counts an emoji twice). Every hand-written check that
 * mirrors an option's `min_length`/`max_length` counts with this, or input Discord accepted is refused.
 * zod's string `.min()`/`.max()` already count code points (zod 4.6, the locked version), so schemas
 * need nothing more.
 */
export function charLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdbff) continue;
    const next = text.charCodeAt(i + 1);
    if (next >= 0xdc00 && next <= 0xdfff) {
      length--;
      i++;
    }
  }
  return length;
}

/** At most `max` characters as Discord counts them; O(1) for the usual text (UTF-16 length ≤ `max`). */
export const atMostChars = (text: string, max: number): boolean =>
  text.length <= max || charLength(text) <= max;

/** Cuts `text` to at most `max` characters (code points kept whole), ending with "…" when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = Array.from(text);
  let out = "";
  for (const char of chars) {
    if (out.length + char.length > max - 1) break;
    out += char;
  }
  return `${out}…`;
}

/**
 * Makes user text safe to echo: neutralises mass mentions and mention syntax visually too (the client
 * already sends `allowed_mentions: { parse: [] }`, so nothing pings; this keeps it from *looking* like
 * a ping) and keeps it to one line when asked.
 */
export function sanitize(text: string, options: { oneLine?: boolean } = {}): string {
  let out = text.replace(/@(everyone|here)/g, "@\u200b$1").replace(/<@([!&]?\d+)>/g, "<@\u200b$1>");
  if (options.oneLine) out = out.replace(/\s+/g, " ").trim();
  return out;
}

/** Markdown that works mid-line (emphasis, underline, strike, spoiler, code, escapes) and link brackets. */
const INLINE_MARKDOWN = /[\\*_~`|[\]]/g;
/** What opens a heading, list or quote at the start of a line (a numbered list: its digits' dot). */
const LINE_START_MARKDOWN = /^(?:#|-|>|\d+(?=\.))/;

/**
 * User text as one line among others (list and search blocks, link labels): sanitised, on one line, every
 * inline Markdown character backslash-escaped, so a marker it leaves open (the odd `**` of `**kwargs`, a
 * code span) cannot pair with the next line's, and brackets cannot make a masked link. Raw links keep their
 * `*` and `_` (Discord reads no Markdown in them, and an escape would change them). `lineStart`: the text
 * begins a line, so a heading, list or quote marker there is escaped too. At most `max` characters, escapes
 * included, cut between escapes (a lone backslash would escape the "…" or what follows). Not discord.js's
 * escapeMarkdown: it leaves some runs of `*` and backticks unescaped.
 */
export function inlineText(text: string, max: number, options: { lineStart?: boolean } = {}): string {
  let escaped = sanitize(text, { oneLine: true })
    .split(/(https?:\/\/\S+)/)
    .map((part, i) => part.replace(i % 2 === 1 ? /[[\]\\]/g : INLINE_MARKDOWN, "\\$&"))
    .join("");
  if (options.lineStart) {
    escaped = escaped.replace(LINE_START_MARKDOWN, (m) => (/^\d/.test(m) ? `${m}\\` : `\\${m}`));
  }
  if (escaped.length <= max) return escaped;
  let out = "";
  for (const unit of escaped.match(/\\[\s\S]|[\s\S]/gu) ?? []) {
    if (out.length + unit.length > max - 1) break;
    out += unit;
  }
  return `${out}…`;
}

/**
 * User input echoed in a message (an error naming what was typed), in quotes: escaped as inlineText, cut
 * with its characters whole. Not in a code span: a backtick in the input would end the span, and escapes
 * show literally inside one.
 */
export function quoted(text: string, max: number): string {
  return `“${inlineText(text, max)}”`;
}

/**
 * A masked Markdown link whose URL cannot end early: Discord ends the URL at its first `)`, so a link like
 * `https://en.wikipedia.org/wiki/Cache_(computing)` would lose its tail and show a stray `)`. Parentheses
 * are percent-encoded, which leads to the same page. `label` must already be escaped (inlineText).
 */
export function maskedLink(label: string, link: string): string {
  return `[${label}](${link.replace(/\(/g, "%28").replace(/\)/g, "%29")})`;
}

/** Splits lines into pages that each fit `max` characters (a single over-long line is truncated). */
export function paginate(lines: string[], max: number): string[] {
  const pages: string[] = [];
  let current = "";
  for (const raw of lines) {
    const line = truncate(raw, max);
    const next = current === "" ? line : `${current}\n${line}`;
    if (next.length > max) {
      pages.push(current);
      current = line;
    } else {
      current = next;
    }
  }
  if (current !== "" || pages.length === 0) pages.push(current);
  return pages;
}
