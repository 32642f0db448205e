// The fault suite's option fuzzer. It reads the commands the bot registered (as Discord stores them), walks
// every command / group / subcommand down to its options, and generates interactions for each one:
// - "deliverable" cases: what Discord would actually deliver (types, choices, required options, min/max
//   length and value, channel types all respected), with hostile *content*: empty, maximum length, mass
//   and role/user mentions, markdown and code-block breakers, zero-width and right-to-left characters,
//   huge numbers, unknown ids, users outside the server, a channel the bot cannot see;
// - "bypass" cases: one step past a min/max (a client that skipped Discord's validation), to prove the bot
//   validates on its own;
// - autocomplete cases for every option with autocomplete, typed text hostile too.
import { type InteractInput, isRecord, type JsonObject } from "./discord-server.js";
import type { Rng } from "./fault-random.js";

/** Discord's own ceilings where a command sets none. */
const DISCORD_STRING_MAX = 6000;
const DISCORD_INT_MAX = 2 ** 53 - 1;

export type OptionDef = {
  type: number;
  name: string;
  required: boolean;
  choices: Array<{ name: string; value: string | number }> | undefined;
  minLength: number | undefined;
  maxLength: number | undefined;
  minValue: number | undefined;
  maxValue: number | undefined;
  autocomplete: boolean;
  channelTypes: number[] | undefined;
};

export type Leaf = {
  command: string;
  group: string | undefined;
  subcommand: string | undefined;
  /** e.g. `/learn log` */
  path: string;
  options: OptionDef[];
  /** Manage Server commands: the description says so, or the command has a default member permission. */
  admin: boolean;
};

const num = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);

function optionDef(raw: JsonObject): OptionDef {
  return {
    type: num(raw.type) ?? 3,
    name: String(raw.name),
    required: raw.required === true,
    choices: Array.isArray(raw.choices)
      ? raw.choices.filter(isRecord).map((c) => ({
          name: String(c.name),
          value: typeof c.value === "number" ? c.value : String(c.value),
        }))
      : undefined,
    minLength: num(raw.min_length),
    maxLength: num(raw.max_length),
    minValue: num(raw.min_value),
    maxValue: num(raw.max_value),
    autocomplete: raw.autocomplete === true,
    channelTypes: Array.isArray(raw.channel_types)
      ? raw.channel_types.filter((t) => typeof t === "number")
      : undefined,
  };
}

const ADMIN_MARK = /Manage Server/i;

/** Every invocable leaf of the registered commands. */
export function leavesOf(commands: readonly JsonObject[]): Leaf[] {
  const leaves: Leaf[] = [];
  for (const command of commands) {
    const name = String(command.name);
    const commandAdmin =
      command.default_member_permissions !== null && command.default_member_permissions !== undefined;
    const options = Array.isArray(command.options) ? command.options.filter(isRecord) : [];
    const subs = options.filter((o) => o.type === 1 || o.type === 2);
    if (subs.length === 0) {
      leaves.push({
        command: name,
        group: undefined,
        subcommand: undefined,
        path: `/${name}`,
        options: options.map(optionDef),
        admin: commandAdmin || ADMIN_MARK.test(String(command.description)),
      });
      continue;
    }
    for (const sub of subs) {
      const inner = Array.isArray(sub.options) ? sub.options.filter(isRecord) : [];
      const nested = sub.type === 2 ? inner.filter((o) => o.type === 1) : [sub];
      for (const leaf of nested) {
        const group = sub.type === 2 ? String(sub.name) : undefined;
        const leafOptions =
          leaf === sub ? inner : Array.isArray(leaf.options) ? leaf.options.filter(isRecord) : [];
        leaves.push({
          command: name,
          group,
          subcommand: String(leaf.name),
          path: [`/${name}`, group, String(leaf.name)].filter(Boolean).join(" "),
          options: leafOptions.map(optionDef),
          admin: commandAdmin || ADMIN_MARK.test(String(leaf.description)),
        });
      }
    }
  }
  return leaves;
}

// ---------------------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------------------

/** What the fuzzer knows about the server: ids to mention and to use as "known" and "unknown" values. */
export type FuzzWorld = {
  guildId: string;
  members: string[];
  moderatorId: string;
  ownerId: string;
  botId: string;
  /** A user Discord knows who is not in this server. */
  outsiderId: string;
  /** Text channels: the Nexus channel, #general, one the bot cannot see, one it cannot send in. */
  textChannels: string[];
  mentionableRoleId: string;
  entryIds: number[];
  questionNumbers: number[];
  answerIds: string[];
};

type Hostile = { name: string; make: (max: number, world: FuzzWorld) => string };

/** Repeats `unit` to exactly `max` UTF-16 units (never splitting a surrogate pair; may end shorter). */
function fill(unit: string, max: number): string {
  return cut(unit.repeat(Math.ceil(max / Math.max(1, unit.length)) + 1), max);
}

/** At most `max` UTF-16 units, whole code points (Discord counts characters; this is the stricter). */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = "";
  for (const char of text) {
    if (out.length + char.length > max) break;
    out += char;
  }
  return out;
}

const FAMILY = "👩‍👩‍👧‍👦";
const ZALGO = `Z${"\u0336\u0337\u0338\u0334\u0335".repeat(20)}algo`;

/** Hostile string content; each is fitted to the option's length limits before use. */
export const HOSTILE_STRINGS: readonly Hostile[] = [
  { name: "empty", make: () => "" },
  { name: "spaces", make: () => "    " },
  { name: "unicode-spaces", make: () => "\u00a0\u2003\u3000\u2028\u2029" },
  { name: "@everyone", make: () => "@everyone look at this" },
  { name: "@here", make: () => "@here @everyone @@everyone" },
  { name: "user-mentions", make: (_, w) => `<@${w.members[1]}> <@!${w.moderatorId}> <@${w.ownerId}>` },
  { name: "role-mentions", make: (_, w) => `<@&${w.mentionableRoleId}> <@&${w.guildId}>` },
  {
    name: "channel-and-command-mentions",
    make: (_, w) => `<#${w.textChannels[0]}> </learn log:1> <id:home>`,
  },
  { name: "custom-emoji-and-timestamp", make: () => "<:x:123456789012345678> <a:y:1> <t:99999999999:R>" },
  { name: "code-block-open", make: () => "```js\nconsole.log('never closed')" },
  { name: "code-block-close", make: () => "```\n```\n```" },
  { name: "inline-code", make: () => "`` ` `` ` `" },
  { name: "markdown-mix", make: () => "**bold __under ~~strike ||spoiler *it _x ***" },
  { name: "headings-quotes-lists", make: () => "# H1\n## H2\n-# small\n> quote\n>>> rest\n- item\n1. one" },
  {
    name: "masked-links",
    make: () => "[click me](https://evil.example/login) <https://x.y> [a](<javascript:1>)",
  },
  { name: "backslashes", make: () => "\\\\\\` \\* \\_ \\" },
  { name: "zero-width", make: () => "\u200b\u200c\u200d\ufeff\u2060hidden\u200b" },
  { name: "right-to-left", make: () => "\u202eevil\u202c \u2067abc\u2069 \u200f\u061c" },
  { name: "zalgo", make: () => ZALGO },
  { name: "emoji-zwj", make: () => `${FAMILY}🏳️‍🌈🧑🏽‍💻` },
  { name: "cjk", make: () => "日本語のテキストと한국어" },
  { name: "newlines-tabs", make: () => "line1\n\n\n\nline2\r\n\tTabbed\r" },
  { name: "control-chars", make: () => "\u0001\u0007\u001b[31mred\u001b[0m\u007f" },
  { name: "html-script", make: () => "<script>alert(1)</script><img src=x onerror=alert(1)>" },
  { name: "sql", make: () => "'; DROP TABLE keyv; -- \" OR 1=1" },
  { name: "__proto__", make: () => "__proto__" },
  { name: "constructor", make: () => "constructor" },
  { name: "json", make: () => '{"value":{"__proto__":{"polluted":true}},"expires":null}' },
  { name: "huge-number-text", make: () => "99999999999999999999999999999" },
  { name: "minus-zero", make: () => "-0" },
  { name: "path-traversal", make: () => "../../../../etc/passwd" },
  { name: "javascript-url", make: () => "javascript:alert(document.cookie)" },
  { name: "long-url", make: (max) => `https://example.com/${"a".repeat(Math.max(0, max))}` },
  { name: "template", make: () => `%s%n ${"${"}process.env.DISCORD_TOKEN} {{7*7}} #{1}` },
  { name: "key-separator", make: () => "guild:1:learn:meta" },
  { name: "topic-odd-case", make: () => "  dJaNgO  " },
  { name: "topic-zero-width", make: () => "Django\u200b" },
  { name: "max-ascii", make: (max) => fill("A", max) },
  {
    name: "max-mentions",
    make: (max, w) => fill(`@everyone <@&${w.mentionableRoleId}> <@${w.members[1]}> `, max),
  },
  { name: "max-emoji", make: (max) => fill(FAMILY, max) },
  { name: "max-code-fences", make: (max) => fill("```", max) },
  { name: "max-zalgo", make: (max) => fill(ZALGO, max) },
  { name: "max-newlines", make: (max) => fill("a\n", max) },
  { name: "max-rtl", make: (max) => fill("\u202eabc", max) },
];

/** Fits text to [min, max] UTF-16 units: cut when longer, padded with "x" when shorter. */
function fitLength(text: string, min: number, max: number): string {
  const cutText = cut(text, max);
  return cutText.length >= min ? cutText : `${cutText}${"x".repeat(min - cutText.length)}`;
}

function integerCandidates(o: OptionDef, world: FuzzWorld): number[] {
  const min = o.minValue ?? -DISCORD_INT_MAX;
  const max = o.maxValue ?? DISCORD_INT_MAX;
  const raw = [
    min,
    max,
    min + 1,
    max - 1,
    0,
    1,
    -1,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32 + 1,
    DISCORD_INT_MAX,
    -DISCORD_INT_MAX,
    999_999_999,
    ...world.entryIds.slice(0, 3),
    ...world.questionNumbers,
  ];
  const values = o.type === 10 ? [...raw, 0.5, 1e-9, min + 0.25, 2.5e-7] : raw;
  return [...new Set(values)].filter((v) => v >= min && v <= max);
}

function userCandidates(world: FuzzWorld): string[] {
  return [
    ...new Set([
      ...world.members.slice(0, 3),
      world.moderatorId,
      world.ownerId,
      world.botId,
      world.outsiderId,
    ]),
  ];
}

/** A plain, valid value so the other options do not stop the command before the fuzzed one is used. */
function plainValue(leaf: Leaf, o: OptionDef, world: FuzzWorld): string | number | boolean {
  if (o.choices && o.choices.length > 0) return o.choices[0]?.value ?? "";
  switch (o.type) {
    case 4:
    case 10: {
      const known: Record<string, number | undefined> = {
        id: world.entryIds[0],
        question: world.questionNumbers[0],
        page: 1,
        days: 1,
        hint_delay_hours: 6,
        recency_days: 7,
        expiry_days: 14,
        pair: 1,
      };
      const value = known[o.name] ?? o.minValue ?? 1;
      return Math.min(Math.max(value, o.minValue ?? value), o.maxValue ?? value);
    }
    case 5:
      return false;
    case 6:
      return world.members[1] ?? world.ownerId;
    case 7:
      return world.textChannels[0] ?? "";
    case 8:
    case 9:
      return world.mentionableRoleId;
    default: {
      const byName: Record<string, string> = {
        topic: "Django",
        timezone: "UTC",
        name: "UTC",
        post_time: "09:00",
        link: "https://docs.djangoproject.com/en/stable/",
        query: "django migrations",
        title: "How do I run migrations in Docker?",
        text: "A plain entry text that is long enough.",
        note: "Happy to pair on an API.",
        prompt: "Write an endpoint that returns the health of the service.",
        hint1: "Think about status codes.",
        details: "I tried docker compose run.",
      };
      const answer =
        leaf.command === "accept" ? (world.answerIds[0] ?? "1-1") : "A plain answer to the challenge.";
      const text = o.name === "answer" ? answer : (byName[o.name] ?? "plain value");
      return fitLength(text, o.minLength ?? 0, o.maxLength ?? DISCORD_STRING_MAX);
    }
  }
}

/** Plain, valid values for a leaf's required options (what a careful user would send). */
export function plainOptions(leaf: Leaf, world: FuzzWorld): Record<string, string | number | boolean> {
  const options: Record<string, string | number | boolean> = {};
  for (const o of leaf.options) if (o.required) options[o.name] = plainValue(leaf, o, world);
  return options;
}

// ---------------------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------------------

export type Contract = "deliverable" | "bypass";

export type FuzzCase = {
  id: number;
  leaf: Leaf;
  /** e.g. `/learn log text=max-emoji` */
  label: string;
  input: InteractInput;
  autocomplete: boolean;
  contract: Contract;
  invoker: "member" | "moderator" | "admin";
  valueKind: string;
};

type Variation = {
  option: OptionDef;
  value: string | number | boolean;
  valueKind: string;
  contract: Contract;
  autocomplete?: boolean;
};

function variations(o: OptionDef, world: FuzzWorld): Variation[] {
  const out: Variation[] = [];
  const add = (value: string | number | boolean, valueKind: string, contract: Contract = "deliverable") =>
    out.push({ option: o, value, valueKind, contract });
  if (o.choices && o.choices.length > 0) {
    for (const choice of o.choices) add(choice.value, `choice:${choice.value}`);
  } else if (o.type === 3) {
    const min = o.minLength ?? 0;
    const max = o.maxLength ?? DISCORD_STRING_MAX;
    for (const hostile of HOSTILE_STRINGS) add(fitLength(hostile.make(max, world), min, max), hostile.name);
    if (o.maxLength !== undefined) add("B".repeat(o.maxLength + 1), "bypass:max+1", "bypass");
    if (min > 0) add("b".repeat(min - 1), "bypass:min-1", "bypass");
  } else if (o.type === 4 || o.type === 10) {
    for (const value of integerCandidates(o, world)) add(value, `number:${value}`);
    if (o.minValue !== undefined) add(o.minValue - 1, "bypass:min-1", "bypass");
    if (o.maxValue !== undefined) add(o.maxValue + 1, "bypass:max+1", "bypass");
  } else if (o.type === 5) {
    add(true, "true");
    add(false, "false");
  } else if (o.type === 6) {
    for (const id of userCandidates(world)) {
      add(
        id,
        id === world.outsiderId ? "user:not-in-server" : id === world.botId ? "user:bot" : "user:member",
      );
    }
  } else if (o.type === 7) {
    for (const [i, id] of world.textChannels.entries()) add(id, `channel:${i}`);
  } else if (o.type === 8 || o.type === 9) {
    add(world.mentionableRoleId, "role:mentionable");
    add(world.guildId, "role:@everyone");
  }
  if (o.autocomplete) {
    // Whatever the option's type, the focused value is the text being typed.
    const max = o.maxLength ?? 100;
    for (const hostile of HOSTILE_STRINGS) {
      out.push({
        option: o,
        value: cut(hostile.make(max, world), max),
        valueKind: `typed:${hostile.name}`,
        contract: "deliverable",
        autocomplete: true,
      });
    }
  }
  return out;
}

/** Every case for every leaf, in a seeded order. */
export function generateCases(leaves: readonly Leaf[], world: FuzzWorld, rng: Rng): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const invokers = ["member", "moderator", "admin"] as const;
  let turn = 0;
  const memberFor = (n: number) => world.members[n % world.members.length] ?? world.ownerId;
  const build = (leaf: Leaf, v: Variation | undefined): void => {
    const invoker = invokers[turn++ % invokers.length] ?? "member";
    const options: Record<string, string | number | boolean> = {};
    for (const o of leaf.options) {
      if (o === v?.option) continue;
      if (v?.autocomplete) continue; // an autocomplete carries what is typed so far, often nothing else
      if (o.required || rng.chance(0.4)) options[o.name] = plainValue(leaf, o, world);
    }
    if (v) options[v.option.name] = v.value;
    const input: InteractInput = {
      commandName: leaf.command,
      ...(leaf.group ? { group: leaf.group } : {}),
      ...(leaf.subcommand ? { subcommand: leaf.subcommand } : {}),
      options,
      ...(v?.autocomplete ? { focused: v.option.name } : {}),
    };
    if (invoker === "admin") input.admin = true;
    else input.user = invoker === "moderator" ? world.moderatorId : memberFor(cases.length);
    cases.push({
      id: cases.length,
      leaf,
      label: `${leaf.path}${v ? ` ${v.option.name}=${v.valueKind}` : ""}${v?.autocomplete ? " (autocomplete)" : ""} as ${invoker}`,
      input,
      autocomplete: v?.autocomplete === true,
      contract: v?.contract ?? "deliverable",
      invoker,
      valueKind: v?.valueKind ?? "plain",
    });
  };
  for (const leaf of leaves) {
    // Plain invocations by each kind of invoker (for admin commands: refused, then allowed).
    for (let i = 0; i < 3; i++) build(leaf, undefined);
    for (const o of leaf.options) for (const v of variations(o, world)) build(leaf, v);
  }
  return rng.shuffle(cases);
}
