// Request-body validation for the local Discord test server.
//
// Two layers, both reported in Discord's "Invalid Form Body" (code 50035) shape:
//   1. "spec":  the OpenAPI request schemas from `discord-api-spec` (zod/mini), and
//   2. "limit": Discord's documented limits, enforced explicitly here because the generated schemas are
//               loose or different in places (see SPEC_EXCEPTIONS below).
// Plus the mention analysis that decides whether a message body would notify anyone.
import * as spec from "discord-api-spec/zod";
import type { ZodMiniType } from "zod/mini";
import type { $ZodIssue } from "zod/v4/core";
import type { JsonObject } from "./discord-fixtures.js";

export type IssuePath = Array<string | number>;

export interface ValidationIssue {
  /** Path into the request body, e.g. `["embeds", 0, "description"]`. */
  path: IssuePath;
  /** Discord-style error code, e.g. `BASE_TYPE_MAX_LENGTH`. */
  code: string;
  message: string;
  /** `spec` = the discord-api-spec schema rejected it; `limit` = our explicit Discord-limit check did. */
  source: "spec" | "limit";
}

/**
 * Places where the generated discord-api-spec schemas disagree with what Discord (and discord.js) actually do,
 * and how this server handles each one. Kept as data so the report/tests can refer to it.
 */
export const SPEC_EXCEPTIONS = [
  "application commands: `default_member_permissions` is typed as a number in the spec, but Discord documents a " +
    'stringified bitfield and discord.js sends e.g. "32". The field is removed before spec validation and checked ' +
    "here instead (null, or a string/integer of digits).",
  "messages: the spec allows `content` up to 4000 characters (the Nitro limit for users); bots are limited to 2000, " +
    "enforced as a limit.",
  "application commands: the spec has no minimum length for a top-level `description`; CHAT_INPUT commands need " +
    "1-100 characters and USER/MESSAGE commands need an empty one; enforced as a limit.",
  "application command choices: the spec allows string choice values up to 6000 characters; Discord documents 100; " +
    "enforced as a limit (also for autocomplete results).",
  "all schemas are non-strict (unknown keys are stripped, not rejected). discord.js legitimately sends keys the " +
    "schema does not list (`tts`/`enforce_nonce` in interaction callbacks and webhook bodies, `type` when starting " +
    "a thread from a message); real Discord ignores them too, so they are not errors.",
] as const;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function pathString(path: IssuePath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Length in code points (what Discord counts), not UTF-16 units: what `[...value].length` gives (a pair
 * counts once, a lone surrogate once), without iterating when there is no surrogate at all. Every string
 * of every body is measured, and the iterator cost this server more CPU per 4 KB embed than the bot
 * spent building it, on the cores the bench shares with the bot.
 */
export function charLength(value: string): number {
  if (!SURROGATE.test(value)) return value.length;
  let n = value.length;
  for (let i = 0; i < value.length - 1; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function limit(path: IssuePath, code: string, message: string): ValidationIssue {
  return { path, code, message, source: "limit" };
}

function maxLen(path: IssuePath, max: number): ValidationIssue {
  return limit(path, "BASE_TYPE_MAX_LENGTH", `Must be ${max} or fewer in length.`);
}

function badLen(path: IssuePath, min: number, max: number): ValidationIssue {
  return limit(path, "BASE_TYPE_BAD_LENGTH", `Must be between ${min} and ${max} in length.`);
}

function required(path: IssuePath): ValidationIssue {
  return limit(path, "BASE_TYPE_REQUIRED", "This field is required");
}

// ---------------------------------------------------------------------------------------------------------
// Spec validation (zod issues -> Discord error entries)
// ---------------------------------------------------------------------------------------------------------

type Schema = ZodMiniType<unknown, unknown>;

function describeInput(input: unknown): string {
  if (typeof input === "string") return input.length > 40 ? `${input.slice(0, 40)}…` : input;
  try {
    return JSON.stringify(input) ?? String(input);
  } catch {
    return String(input);
  }
}

function typeIssue(path: IssuePath, expected: string, input: unknown): ValidationIssue {
  const src = "spec" as const;
  if (input === undefined)
    return { path, code: "BASE_TYPE_REQUIRED", message: "This field is required", source: src };
  const shown = describeInput(input);
  switch (expected) {
    case "string":
      return {
        path,
        code: "STRING_TYPE_CONVERT",
        message: `Could not interpret "${shown}" as string.`,
        source: src,
      };
    case "number":
    case "int":
    case "bigint":
      return { path, code: "NUMBER_TYPE_COERCE", message: `Value "${shown}" is not int.`, source: src };
    case "boolean":
      return { path, code: "BOOLEAN_TYPE_CONVERT", message: `Value "${shown}" is not boolean.`, source: src };
    case "array":
      return {
        path,
        code: "LIST_TYPE_CONVERT",
        message: "Only iterables may be used in a ListType",
        source: src,
      };
    case "object":
      return {
        path,
        code: "MODEL_TYPE_CONVERT",
        message: "Only dictionaries may be used in a ModelType",
        source: src,
      };
    case "null":
      return { path, code: "BASE_TYPE_INVALID", message: "Value must be null.", source: src };
    default:
      return { path, code: "BASE_TYPE_INVALID", message: `Invalid ${expected}: "${shown}".`, source: src };
  }
}

function fromZodIssue(issue: $ZodIssue, prefix: IssuePath): ValidationIssue[] {
  const path: IssuePath = [
    ...prefix,
    ...issue.path.map((seg) => (typeof seg === "symbol" ? String(seg) : seg)),
  ];
  const src = "spec" as const;
  switch (issue.code) {
    case "too_big": {
      const max = Number(issue.maximum);
      if (issue.origin === "string" || issue.origin === "array" || issue.origin === "set") {
        return [
          { path, code: "BASE_TYPE_MAX_LENGTH", message: `Must be ${max} or fewer in length.`, source: src },
        ];
      }
      return [
        {
          path,
          code: "NUMBER_TYPE_MAX",
          message: `int value should be less than or equal to ${max}.`,
          source: src,
        },
      ];
    }
    case "too_small": {
      const min = Number(issue.minimum);
      if (issue.origin === "string" || issue.origin === "array" || issue.origin === "set") {
        return [
          { path, code: "BASE_TYPE_MIN_LENGTH", message: `Must be ${min} or more in length.`, source: src },
        ];
      }
      return [
        {
          path,
          code: "NUMBER_TYPE_MIN",
          message: `int value should be greater than or equal to ${min}.`,
          source: src,
        },
      ];
    }
    case "invalid_type":
      return [typeIssue(path, issue.expected, issue.input)];
    case "invalid_value":
      return [
        {
          path,
          code: "BASE_TYPE_CHOICES",
          message: `Value must be one of {${issue.values.map((v) => describeInput(v)).join(", ")}}.`,
          source: src,
        },
      ];
    case "invalid_format": {
      if (issue.format === "url")
        return [{ path, code: "URL_TYPE_INVALID_URL", message: "Not a well formed URL.", source: src }];
      if (issue.format === "datetime") {
        return [
          {
            path,
            code: "DATE_TIME_TYPE_PARSE",
            message: `Could not parse ${describeInput(issue.input)}. Should be ISO8601.`,
            source: src,
          },
        ];
      }
      return [
        {
          path,
          code: "STRING_TYPE_REGEX",
          message: "String value did not match validation regex.",
          source: src,
        },
      ];
    }
    case "invalid_union": {
      // Pick the branch that got furthest: ignore branches whose discriminating literal (`type`) did not match,
      // then take the one with the fewest issues.
      const branches = issue.errors.map((errs) => errs.flatMap((inner) => fromZodIssue(inner, path)));
      const discriminated = issue.errors.map(
        (errs) =>
          !errs.some((e) => e.code === "invalid_value" && e.path.length === 1 && e.path[0] === "type"),
      );
      let best: ValidationIssue[] | undefined;
      branches.forEach((branch, i) => {
        if (!discriminated[i]) return;
        if (best === undefined || branch.length < best.length) best = branch;
      });
      if (best === undefined) {
        for (const branch of branches) if (best === undefined || branch.length < best.length) best = branch;
      }
      if (best === undefined || best.length === 0) {
        return [
          { path, code: "UNION_TYPE_CHOICES", message: "Value did not match any allowed type.", source: src },
        ];
      }
      return best;
    }
    case "unrecognized_keys":
      return [
        { path, code: "BASE_TYPE_INVALID", message: `Unknown keys: ${issue.keys.join(", ")}`, source: src },
      ];
    default:
      return [{ path, code: "BASE_TYPE_INVALID", message: issue.message, source: src }];
  }
}

export function validateAgainst(schema: Schema, body: unknown, prefix: IssuePath = []): ValidationIssue[] {
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return [];
  return result.error.issues.flatMap((issue) => fromZodIssue(issue, prefix));
}

/** Merge issue lists, dropping duplicates (same path and code); earlier lists win. */
export function mergeIssues(...lists: ValidationIssue[][]): ValidationIssue[] {
  const seen = new Set<string>();
  const out: ValidationIssue[] = [];
  for (const list of lists) {
    for (const issue of list) {
      const key = `${pathString(issue.path)}|${issue.code}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(issue);
    }
  }
  return out;
}

/** Discord's nested `errors` object: `{ embeds: { 0: { description: { _errors: [{code, message}] } } } }`. */
export function errorTree(issues: ValidationIssue[]): JsonObject {
  const root: JsonObject = {};
  for (const issue of issues) {
    let node = root;
    for (const seg of issue.path) {
      const key = String(seg);
      const existing = node[key];
      if (isRecord(existing)) {
        node = existing;
      } else {
        const next: JsonObject = {};
        node[key] = next;
        node = next;
      }
    }
    const entry = { code: issue.code, message: issue.message };
    const errs = node._errors;
    if (Array.isArray(errs)) errs.push(entry);
    else node._errors = [entry];
  }
  return root;
}

export function invalidFormBody(issues: ValidationIssue[]): JsonObject {
  return { message: "Invalid Form Body", code: 50035, errors: errorTree(issues) };
}

// ---------------------------------------------------------------------------------------------------------
// Discord limits
// ---------------------------------------------------------------------------------------------------------

export const LIMITS = {
  content: 2000,
  embeds: 10,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  embedFieldName: 256,
  embedFieldValue: 1024,
  embedFooterText: 2048,
  embedAuthorName: 256,
  embedTotal: 6000,
  actionRows: 5,
  actionRowButtons: 5,
  customId: 100,
  buttonLabel: 80,
  selectOptions: 25,
  threadName: 100,
  commandName: 32,
  commandDescription: 100,
  commandOptions: 25,
  commandChoices: 25,
  choiceName: 100,
  choiceStringValue: 100,
  commandTotalChars: 4000,
  chatInputCommands: 100,
  userCommands: 5,
  messageCommands: 5,
  autocompleteChoices: 25,
  modalTitle: 45,
  allowedMentionIds: 100,
} as const;

export const COMMAND_NAME_REGEX = /^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

export const VALID_LOCALES = new Set([
  "id",
  "da",
  "de",
  "en-GB",
  "en-US",
  "es-ES",
  "es-419",
  "fr",
  "hr",
  "it",
  "lt",
  "hu",
  "nl",
  "no",
  "pl",
  "pt-BR",
  "ro",
  "fi",
  "sv-SE",
  "vi",
  "tr",
  "cs",
  "el",
  "bg",
  "ru",
  "uk",
  "hi",
  "th",
  "zh-CN",
  "ja",
  "zh-TW",
  "ko",
]);

const MESSAGE_FLAG_EPHEMERAL = 1 << 6;
const MESSAGE_FLAG_COMPONENTS_V2 = 1 << 15;

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function checkString(
  value: unknown,
  path: IssuePath,
  max: number,
  opts: { min?: number; required?: boolean } = {},
): ValidationIssue[] {
  if (value === undefined || value === null) return opts.required ? [required(path)] : [];
  if (typeof value !== "string") return [];
  const len = charLength(value);
  const min = opts.min ?? 0;
  if (len > max || len < min) return [min > 0 ? badLen(path, min, max) : maxLen(path, max)];
  return [];
}

/**
 * An embed's `url` as Discord takes it: http(s), and a host with a domain (a dot) and no underscore. Discord
 * answers "Not a well formed URL." for `http://web:8000/` or `https://my_site.example.com/` though browsers
 * open them (discord.js#7438, bugsink#280, rogerrum/alertmanager-discord#19).
 */
function checkEmbedUrl(value: unknown, path: IssuePath): ValidationIssue[] {
  if (value === undefined || value === null) return [];
  const refused = [limit(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")];
  if (typeof value !== "string") return refused;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refused;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    const scheme = url.protocol.slice(0, -1);
    return [
      limit(
        path,
        "URL_TYPE_INVALID_SCHEME",
        `Scheme "${scheme}" is not supported. Scheme must be one of ('http', 'https').`,
      ),
    ];
  }
  const host = url.hostname;
  if (host.startsWith("[")) return [];
  return host.includes(".") && !host.includes("_") ? [] : refused;
}

/** Embed limits, including the 6000-character total across every embed of the message. */
export function checkEmbeds(embeds: unknown, path: IssuePath = ["embeds"]): ValidationIssue[] {
  if (!Array.isArray(embeds)) return [];
  const issues: ValidationIssue[] = [];
  if (embeds.length > LIMITS.embeds) issues.push(maxLen(path, LIMITS.embeds));
  let total = 0;
  const count = (value: unknown): void => {
    if (typeof value === "string") total += charLength(value);
  };
  embeds.forEach((embed, i) => {
    if (!isRecord(embed)) return;
    const at = [...path, i];
    issues.push(...checkString(embed.title, [...at, "title"], LIMITS.embedTitle));
    issues.push(...checkString(embed.description, [...at, "description"], LIMITS.embedDescription));
    issues.push(...checkEmbedUrl(embed.url, [...at, "url"]));
    count(embed.title);
    count(embed.description);
    if (Array.isArray(embed.fields)) {
      if (embed.fields.length > LIMITS.embedFields)
        issues.push(maxLen([...at, "fields"], LIMITS.embedFields));
      embed.fields.forEach((field, j) => {
        if (!isRecord(field)) return;
        const fat = [...at, "fields", j];
        issues.push(
          ...checkString(field.name, [...fat, "name"], LIMITS.embedFieldName, { min: 1, required: true }),
        );
        issues.push(
          ...checkString(field.value, [...fat, "value"], LIMITS.embedFieldValue, { min: 1, required: true }),
        );
        count(field.name);
        count(field.value);
      });
    }
    if (isRecord(embed.footer)) {
      issues.push(
        ...checkString(embed.footer.text, [...at, "footer", "text"], LIMITS.embedFooterText, {
          required: true,
        }),
      );
      count(embed.footer.text);
    }
    if (isRecord(embed.author)) {
      issues.push(
        ...checkString(embed.author.name, [...at, "author", "name"], LIMITS.embedAuthorName, {
          required: true,
        }),
      );
      count(embed.author.name);
    }
  });
  if (total > LIMITS.embedTotal) {
    issues.push(
      limit(path, "MAX_EMBED_SIZE_EXCEEDED", `Embed size exceeds maximum size of ${LIMITS.embedTotal}`),
    );
  }
  return issues;
}

const SELECT_TYPES = new Set([3, 5, 6, 7, 8]);

/** Message components: ≤5 action rows of ≤5 buttons (classic messages), custom_id 1-100 and unique, etc. */
export function checkComponents(
  components: unknown,
  flags: unknown,
  path: IssuePath = ["components"],
): ValidationIssue[] {
  if (!Array.isArray(components)) return [];
  const issues: ValidationIssue[] = [];
  const v2 = typeof flags === "number" && (flags & MESSAGE_FLAG_COMPONENTS_V2) !== 0;
  const seenIds = new Map<string, IssuePath>();
  if (!v2) {
    if (components.length > LIMITS.actionRows) issues.push(maxLen(path, LIMITS.actionRows));
    components.forEach((row, i) => {
      if (isRecord(row) && row.type !== 1) {
        issues.push(
          limit(
            [...path, i, "type"],
            "BASE_TYPE_CHOICES",
            "Value must be one of {1} (IS_COMPONENTS_V2 is not set).",
          ),
        );
      }
    });
  }
  const walk = (node: unknown, at: IssuePath): void => {
    if (!isRecord(node)) return;
    const type = node.type;
    if (type === 1 && Array.isArray(node.components)) {
      const children = node.components;
      if (children.length > LIMITS.actionRowButtons)
        issues.push(maxLen([...at, "components"], LIMITS.actionRowButtons));
      if (
        children.length > 1 &&
        children.some((c) => isRecord(c) && typeof c.type === "number" && SELECT_TYPES.has(c.type))
      ) {
        issues.push(
          limit(
            [...at, "components"],
            "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
            "The specified component exceeds the maximum width",
          ),
        );
      }
    }
    if (type === 2) {
      const style = node.style;
      if (style === 5) {
        if (typeof node.url !== "string") issues.push(required([...at, "url"]));
        if (node.custom_id !== undefined && node.custom_id !== null) {
          issues.push(
            limit(
              [...at, "custom_id"],
              "BUTTON_COMPONENT_CUSTOM_ID_WITH_URL",
              "A link button cannot have a custom_id",
            ),
          );
        }
      } else if (style !== 6 && (node.custom_id === undefined || node.custom_id === null)) {
        issues.push(required([...at, "custom_id"]));
      }
      issues.push(...checkString(node.label, [...at, "label"], LIMITS.buttonLabel));
    }
    if (type === 3 && Array.isArray(node.options) && node.options.length > LIMITS.selectOptions) {
      issues.push(maxLen([...at, "options"], LIMITS.selectOptions));
    }
    if (node.custom_id !== undefined && node.custom_id !== null) {
      issues.push(...checkString(node.custom_id, [...at, "custom_id"], LIMITS.customId, { min: 1 }));
      const id = str(node.custom_id);
      if (id !== undefined) {
        if (seenIds.has(id)) {
          issues.push(
            limit(
              [...at, "custom_id"],
              "COMPONENT_CUSTOM_ID_DUPLICATED",
              "Component custom id cannot be duplicated",
            ),
          );
        } else {
          seenIds.set(id, at);
        }
      }
    }
    if (Array.isArray(node.components)) {
      node.components.forEach((child, j) => {
        walk(child, [...at, "components", j]);
      });
    }
    if (isRecord(node.accessory)) walk(node.accessory, [...at, "accessory"]);
    if (isRecord(node.component)) walk(node.component, [...at, "component"]);
  };
  components.forEach((component, i) => {
    walk(component, [...path, i]);
  });
  return issues;
}

export function checkAllowedMentions(
  allowed: unknown,
  path: IssuePath = ["allowed_mentions"],
): ValidationIssue[] {
  if (!isRecord(allowed)) return [];
  const issues: ValidationIssue[] = [];
  const parse = Array.isArray(allowed.parse) ? allowed.parse : [];
  for (const kind of ["users", "roles"] as const) {
    const ids = allowed[kind];
    if (parse.includes(kind) && Array.isArray(ids) && ids.length > 0) {
      issues.push(
        limit(
          [...path, kind],
          "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
          `parse:["${kind}"] and ${kind}: [ids...] are mutually exclusive.`,
        ),
      );
    }
  }
  return issues;
}

/** Limits shared by every message-bearing body (create, edit, webhook, interaction callback data). */
export function checkMessageLimits(body: unknown, prefix: IssuePath = []): ValidationIssue[] {
  if (!isRecord(body)) return [];
  return [
    ...checkString(body.content, [...prefix, "content"], LIMITS.content),
    ...checkEmbeds(body.embeds, [...prefix, "embeds"]),
    ...checkComponents(body.components, body.flags, [...prefix, "components"]),
    ...checkAllowedMentions(body.allowed_mentions, [...prefix, "allowed_mentions"]),
  ];
}

/** True when the body has nothing Discord would render (→ 50006 "Cannot send an empty message"). */
export function isEmptyMessage(body: unknown, fileCount: number): boolean {
  if (fileCount > 0) return false;
  if (!isRecord(body)) return true;
  const content = str(body.content);
  const nonEmpty = (value: unknown): boolean => Array.isArray(value) && value.length > 0;
  if (content !== undefined && content.trim() !== "") return false;
  if (nonEmpty(body.embeds) || nonEmpty(body.components) || nonEmpty(body.sticker_ids)) return false;
  if (nonEmpty(body.attachments)) return false;
  if (isRecord(body.poll)) return false;
  return true;
}

export function checkThreadName(name: unknown, path: IssuePath = ["name"]): ValidationIssue[] {
  return checkString(name, path, LIMITS.threadName, { min: 1, required: true });
}

// ---------------------------------------------------------------------------------------------------------
// Application commands
// ---------------------------------------------------------------------------------------------------------

const OPTION_SUBCOMMAND = 1;
const OPTION_GROUP = 2;
const OPTION_STRING = 3;
const OPTION_INTEGER = 4;
const OPTION_NUMBER = 10;
const OPTION_CHANNEL = 7;

function checkCommandName(name: unknown, path: IssuePath, chatInput: boolean): ValidationIssue[] {
  if (typeof name !== "string") return [];
  if (!chatInput) return [];
  if (!COMMAND_NAME_REGEX.test(name) || name !== name.toLowerCase()) {
    return [limit(path, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")];
  }
  return [];
}

function checkLocalizations(
  value: unknown,
  path: IssuePath,
  kind: "name" | "description",
  chatInput: boolean,
): ValidationIssue[] {
  if (!isRecord(value)) return [];
  const issues: ValidationIssue[] = [];
  for (const [locale, text] of Object.entries(value)) {
    if (!VALID_LOCALES.has(locale)) {
      issues.push(
        limit(
          [...path, locale],
          "BASE_TYPE_CHOICES",
          `Value must be one of {${[...VALID_LOCALES].join(", ")}}.`,
        ),
      );
      continue;
    }
    if (kind === "name") issues.push(...checkCommandName(text, [...path, locale], chatInput));
    else issues.push(...checkString(text, [...path, locale], LIMITS.commandDescription, { min: 1 }));
  }
  return issues;
}

function countChars(value: unknown): number {
  return typeof value === "string" ? charLength(value) : typeof value === "number" ? String(value).length : 0;
}

function checkOptions(
  options: unknown,
  path: IssuePath,
  level: "top" | "subcommand" | "group",
  total: { chars: number },
): ValidationIssue[] {
  if (!Array.isArray(options)) return [];
  const issues: ValidationIssue[] = [];
  if (options.length > LIMITS.commandOptions) issues.push(maxLen(path, LIMITS.commandOptions));
  const names = new Set<string>();
  let sawOptional = false;
  let sawSub = false;
  let sawValue = false;
  options.forEach((option, i) => {
    if (!isRecord(option)) return;
    const at = [...path, i];
    const type = option.type;
    const isSub = type === OPTION_SUBCOMMAND || type === OPTION_GROUP;
    if (isSub) sawSub = true;
    else sawValue = true;
    total.chars += countChars(option.name) + countChars(option.description);

    issues.push(...checkCommandName(option.name, [...at, "name"], true));
    issues.push(
      ...checkString(option.description, [...at, "description"], LIMITS.commandDescription, {
        min: 1,
        required: true,
      }),
    );
    issues.push(
      ...checkLocalizations(option.name_localizations, [...at, "name_localizations"], "name", true),
    );
    issues.push(
      ...checkLocalizations(
        option.description_localizations,
        [...at, "description_localizations"],
        "description",
        true,
      ),
    );
    const name = str(option.name);
    if (name !== undefined) {
      if (names.has(name)) {
        issues.push(
          limit(
            [...at, "name"],
            "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS",
            "Option names must be unique",
          ),
        );
      }
      names.add(name);
    }

    if (level === "group" && type !== OPTION_SUBCOMMAND) {
      issues.push(
        limit(
          [...at, "type"],
          "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
          "Sub-command groups may only contain sub-commands",
        ),
      );
    }
    if (level === "subcommand" && isSub) {
      issues.push(
        limit(
          [...at, "type"],
          "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
          "Sub-commands cannot contain sub-commands or groups",
        ),
      );
    }

    if (!isSub) {
      const isRequired = option.required === true;
      if (isRequired && sawOptional) {
        issues.push(
          limit(
            [...at, "required"],
            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
            "Required options must be placed before non-required options",
          ),
        );
      }
      if (!isRequired) sawOptional = true;
    }

    const choices = option.choices;
    if (Array.isArray(choices)) {
      if (choices.length > LIMITS.commandChoices)
        issues.push(maxLen([...at, "choices"], LIMITS.commandChoices));
      choices.forEach((choice, j) => {
        if (!isRecord(choice)) return;
        total.chars += countChars(choice.name) + countChars(choice.value);
        issues.push(
          ...checkString(choice.name, [...at, "choices", j, "name"], LIMITS.choiceName, {
            min: 1,
            required: true,
          }),
        );
        if (type === OPTION_STRING) {
          issues.push(...checkString(choice.value, [...at, "choices", j, "value"], LIMITS.choiceStringValue));
        }
      });
      if (option.autocomplete === true && choices.length > 0) {
        issues.push(
          limit(
            [...at, "autocomplete"],
            "AUTOCOMPLETE_AND_CHOICES_MUTUALLY_EXCLUSIVE",
            "Autocomplete cannot be enabled on options with choices",
          ),
        );
      }
    }
    if (
      option.autocomplete === true &&
      type !== OPTION_STRING &&
      type !== OPTION_INTEGER &&
      type !== OPTION_NUMBER
    ) {
      issues.push(
        limit(
          [...at, "autocomplete"],
          "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_INVALID",
          "Autocomplete is only valid for string, integer and number options",
        ),
      );
    }
    if (
      (option.min_value !== undefined || option.max_value !== undefined) &&
      type !== OPTION_INTEGER &&
      type !== OPTION_NUMBER
    ) {
      issues.push(
        limit(
          [...at, "min_value"],
          "APPLICATION_COMMAND_OPTION_INVALID",
          "min_value/max_value are only valid for integer and number options",
        ),
      );
    }
    if ((option.min_length !== undefined || option.max_length !== undefined) && type !== OPTION_STRING) {
      issues.push(
        limit(
          [...at, "min_length"],
          "APPLICATION_COMMAND_OPTION_INVALID",
          "min_length/max_length are only valid for string options",
        ),
      );
    }
    if (option.channel_types !== undefined && type !== OPTION_CHANNEL) {
      issues.push(
        limit(
          [...at, "channel_types"],
          "APPLICATION_COMMAND_OPTION_INVALID",
          "channel_types is only valid for channel options",
        ),
      );
    }
    if (type === OPTION_GROUP) {
      if (level !== "top") {
        issues.push(
          limit(
            [...at, "type"],
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-command groups can only be nested at the top level",
          ),
        );
      }
      issues.push(...checkOptions(option.options, [...at, "options"], "group", total));
    } else if (type === OPTION_SUBCOMMAND) {
      issues.push(...checkOptions(option.options, [...at, "options"], "subcommand", total));
    }
  });
  if (sawSub && sawValue) {
    issues.push(
      limit(
        path,
        "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
        "Sub-command and sub-command group option types are mutually exclusive to all other types",
      ),
    );
  }
  return issues;
}

/** Discord's rules for one command body (beyond the spec). `partial` = PATCH (fields may be absent). */
export function checkCommand(body: unknown, prefix: IssuePath = [], partial = false): ValidationIssue[] {
  if (!isRecord(body)) return [];
  const issues: ValidationIssue[] = [];
  const type = typeof body.type === "number" ? body.type : 1;
  const chatInput = type === 1;
  if (!partial || body.name !== undefined) {
    issues.push(
      ...checkString(body.name, [...prefix, "name"], LIMITS.commandName, { min: 1, required: !partial }),
    );
    issues.push(...checkCommandName(body.name, [...prefix, "name"], chatInput));
  }
  if (chatInput) {
    if (!partial || body.description !== undefined) {
      issues.push(
        ...checkString(body.description, [...prefix, "description"], LIMITS.commandDescription, {
          min: 1,
          required: !partial,
        }),
      );
    }
  } else {
    const description = str(body.description);
    if (description !== undefined && description !== "") issues.push(maxLen([...prefix, "description"], 0));
    if (Array.isArray(body.options) && body.options.length > 0) {
      issues.push(
        limit(
          [...prefix, "options"],
          "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
          "Only chat input commands can have options",
        ),
      );
    }
  }
  issues.push(
    ...checkLocalizations(body.name_localizations, [...prefix, "name_localizations"], "name", chatInput),
  );
  issues.push(
    ...checkLocalizations(
      body.description_localizations,
      [...prefix, "description_localizations"],
      "description",
      chatInput,
    ),
  );
  const perms = body.default_member_permissions;
  if (perms !== undefined && perms !== null) {
    const ok =
      (typeof perms === "string" && /^\d+$/.test(perms)) ||
      (typeof perms === "number" && Number.isInteger(perms) && perms >= 0);
    if (!ok) {
      issues.push(
        limit(
          [...prefix, "default_member_permissions"],
          "NUMBER_TYPE_COERCE",
          `Value "${describeInput(perms)}" is not snowflake.`,
        ),
      );
    }
  }
  const total = { chars: countChars(body.name) + countChars(body.description) };
  if (chatInput) issues.push(...checkOptions(body.options, [...prefix, "options"], "top", total));
  if (total.chars > LIMITS.commandTotalChars) {
    issues.push(
      limit(
        prefix,
        "APPLICATION_COMMAND_TOO_LARGE",
        `Command exceeds maximum size (${LIMITS.commandTotalChars})`,
      ),
    );
  }
  return issues;
}

/** Counts and uniqueness over a whole command list (bulk overwrite, or the stored set after a POST). */
export function checkCommandList(list: unknown[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const counts = new Map<number, number>();
  const seen = new Set<string>();
  list.forEach((command, i) => {
    if (!isRecord(command)) return;
    const type = typeof command.type === "number" ? command.type : 1;
    counts.set(type, (counts.get(type) ?? 0) + 1);
    const key = `${type}:${String(command.name)}`;
    if (seen.has(key)) {
      issues.push(
        limit([i, "name"], "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"),
      );
    }
    seen.add(key);
  });
  const max: Array<[number, number]> = [
    [1, LIMITS.chatInputCommands],
    [2, LIMITS.userCommands],
    [3, LIMITS.messageCommands],
  ];
  for (const [type, n] of max) {
    if ((counts.get(type) ?? 0) > n) {
      issues.push(
        limit(
          [],
          "APPLICATION_COMMANDS_TOO_MANY",
          `Maximum number of type ${type} application commands is ${n}`,
        ),
      );
    }
  }
  return issues;
}

function withoutStringPermissions(body: unknown): unknown {
  // SPEC_EXCEPTIONS[0]: the spec types default_member_permissions as a number; Discord wants a string.
  if (!isRecord(body) || !("default_member_permissions" in body)) return body;
  const { default_member_permissions: _ignored, ...rest } = body;
  return rest;
}

export function validateCommandCreate(body: unknown): ValidationIssue[] {
  return mergeIssues(
    checkCommand(body),
    validateAgainst(spec.ApplicationCommandCreateRequestSchema, withoutStringPermissions(body)),
  );
}

export function validateCommandPatch(body: unknown): ValidationIssue[] {
  return mergeIssues(
    checkCommand(body, [], true),
    validateAgainst(spec.ApplicationCommandPatchRequestPartialSchema, withoutStringPermissions(body)),
  );
}

export function validateCommandBulk(body: unknown): ValidationIssue[] {
  if (!Array.isArray(body)) {
    return [
      {
        path: [],
        code: "LIST_TYPE_CONVERT",
        message: "Only iterables may be used in a ListType",
        source: "spec",
      },
    ];
  }
  const issues: ValidationIssue[][] = [checkCommandList(body)];
  body.forEach((command, i) => {
    issues.push(checkCommand(command, [i]));
    issues.push(
      validateAgainst(spec.ApplicationCommandUpdateRequestSchema, withoutStringPermissions(command), [i]),
    );
  });
  return mergeIssues(...issues);
}

// ---------------------------------------------------------------------------------------------------------
// Messages, webhooks, threads, channels
// ---------------------------------------------------------------------------------------------------------

export function validateMessageCreate(body: unknown): ValidationIssue[] {
  return mergeIssues(checkMessageLimits(body), validateAgainst(spec.MessageCreateRequestSchema, body));
}

export function validateMessageEdit(body: unknown): ValidationIssue[] {
  return mergeIssues(checkMessageLimits(body), validateAgainst(spec.MessageEditRequestPartialSchema, body));
}

export function validateWebhookExecute(body: unknown): ValidationIssue[] {
  return mergeIssues(
    checkMessageLimits(body),
    validateAgainst(spec.IncomingWebhookRequestPartialSchema, body),
  );
}

export function validateWebhookEdit(body: unknown): ValidationIssue[] {
  return mergeIssues(
    checkMessageLimits(body),
    validateAgainst(spec.IncomingWebhookUpdateRequestPartialSchema, body),
  );
}

export function validateThreadFromMessage(body: unknown): ValidationIssue[] {
  const name = isRecord(body) ? body.name : undefined;
  return mergeIssues(
    checkThreadName(name),
    validateAgainst(spec.CreateTextThreadWithMessageRequestSchema, body),
  );
}

export function validateThreadWithoutMessage(body: unknown, forum: boolean): ValidationIssue[] {
  const name = isRecord(body) ? body.name : undefined;
  if (forum) {
    const message = isRecord(body) ? body.message : undefined;
    return mergeIssues(
      checkThreadName(name),
      checkMessageLimits(message, ["message"]),
      validateAgainst(spec.CreateForumThreadRequestSchema, body),
    );
  }
  return mergeIssues(
    checkThreadName(name),
    validateAgainst(spec.CreateTextThreadWithoutMessageRequestSchema, body),
  );
}

export function validateChannelPatch(body: unknown, channelType: number): ValidationIssue[] {
  const isThread = channelType === 10 || channelType === 11 || channelType === 12;
  if (channelType === 1) return validateAgainst(spec.UpdateDMRequestPartialSchema, body);
  if (isThread) {
    const name = isRecord(body) ? body.name : undefined;
    const nameIssues = name === undefined ? [] : checkThreadName(name);
    return mergeIssues(nameIssues, validateAgainst(spec.UpdateThreadRequestPartialSchema, body));
  }
  return validateAgainst(spec.UpdateGuildChannelRequestPartialSchema, body);
}

export function validateCreateDm(body: unknown): ValidationIssue[] {
  const issues = validateAgainst(spec.CreatePrivateChannelRequestSchema, body);
  if (!isRecord(body) || typeof body.recipient_id !== "string") issues.push(required(["recipient_id"]));
  return mergeIssues(issues);
}

// ---------------------------------------------------------------------------------------------------------
// Interaction callbacks
// ---------------------------------------------------------------------------------------------------------

export type InteractionKind = "command" | "autocomplete" | "component" | "modal";

const ALLOWED_CALLBACKS: Record<InteractionKind, readonly number[]> = {
  command: [4, 5, 9, 12],
  autocomplete: [8],
  component: [4, 5, 6, 7, 9, 12],
  modal: [4, 5, 6, 7],
};

export function checkAutocompleteChoices(data: unknown, path: IssuePath = ["data"]): ValidationIssue[] {
  if (!isRecord(data) || !Array.isArray(data.choices)) return [];
  const issues: ValidationIssue[] = [];
  if (data.choices.length > LIMITS.autocompleteChoices)
    issues.push(maxLen([...path, "choices"], LIMITS.autocompleteChoices));
  data.choices.forEach((choice, i) => {
    if (!isRecord(choice)) return;
    issues.push(
      ...checkString(choice.name, [...path, "choices", i, "name"], LIMITS.choiceName, {
        min: 1,
        required: true,
      }),
    );
    if (typeof choice.value === "string") {
      issues.push(...checkString(choice.value, [...path, "choices", i, "value"], LIMITS.choiceStringValue));
    }
  });
  return issues;
}

/** Validates an interaction callback body for the given kind of interaction. */
export function validateInteractionCallback(body: unknown, kind: InteractionKind): ValidationIssue[] {
  if (!isRecord(body)) return [typeIssue([], "object", body)];
  const type = body.type;
  if (typeof type !== "number") return [typeIssue(["type"], "number", type)];
  if (!ALLOWED_CALLBACKS[kind].includes(type)) {
    return [
      limit(
        ["type"],
        "INTERACTION_CALLBACK_TYPE_INVALID",
        `Callback type ${type} is not valid for this interaction (allowed: ${ALLOWED_CALLBACKS[kind].join(", ")})`,
      ),
    ];
  }
  switch (type) {
    case 1:
      return validateAgainst(spec.PongInteractionCallbackRequestSchema, body);
    case 4:
    case 5:
      return mergeIssues(
        checkMessageLimits(body.data, ["data"]),
        validateAgainst(spec.CreateMessageInteractionCallbackRequestSchema, body),
      );
    case 6:
    case 7:
      return mergeIssues(
        checkMessageLimits(body.data, ["data"]),
        validateAgainst(spec.UpdateMessageInteractionCallbackRequestSchema, body),
      );
    case 8:
      return mergeIssues(
        checkAutocompleteChoices(body.data),
        validateAgainst(spec.ApplicationCommandAutocompleteCallbackRequestSchema, body),
      );
    case 9:
      return validateAgainst(spec.ModalInteractionCallbackRequestSchema, body);
    case 12:
      return validateAgainst(spec.LaunchActivityInteractionCallbackRequestSchema, body);
    default:
      return [limit(["type"], "BASE_TYPE_CHOICES", "Value must be one of {1, 4, 5, 6, 7, 8, 9, 12}.")];
  }
}

// ---------------------------------------------------------------------------------------------------------
// Mentions
// ---------------------------------------------------------------------------------------------------------

export interface MentionReport {
  /** True when at least one person would get a notification from this body. */
  wouldPing: boolean;
  /** `@everyone`/`@here` would notify. */
  everyone: boolean;
  /** User ids that would be notified. */
  users: string[];
  /** Role ids that would be notified. */
  roles: string[];
  /** The author of the replied-to message would be notified. */
  repliedUser: boolean;
}

export interface MentionContext {
  /** Ephemeral messages never notify anyone. */
  ephemeral?: boolean;
  /** The bot's own id (mentioning yourself notifies nobody). */
  selfId: string;
  /** Author of the message referenced by `message_reference`, when replying. */
  replyTargetAuthorId?: string;
  /** Whether the bot holds MENTION_EVERYONE where it posts (needed for @everyone/@here and non-mentionable roles). */
  canMentionEveryone?: boolean;
  /** Whether a role is mentionable by anyone. Unknown roles are treated as mentionable (conservative). */
  isRoleMentionable?: (roleId: string) => boolean;
}

export const NO_PING: MentionReport = {
  wouldPing: false,
  everyone: false,
  users: [],
  roles: [],
  repliedUser: false,
};

/**
 * Which mentions in `body.content` would actually notify, given `allowed_mentions` (absent ⇒ Discord parses
 * users, roles and everyone from the content, and pings the replied-to author). Embeds never notify.
 */
export function computeMentions(body: unknown, ctx: MentionContext): MentionReport {
  if (!isRecord(body) || ctx.ephemeral) return { ...NO_PING };
  const content = str(body.content) ?? "";
  const allowed = body.allowed_mentions;
  let parse: string[];
  let allowedUsers: string[] = [];
  let allowedRoles: string[] = [];
  let repliedUserAllowed: boolean;
  if (isRecord(allowed)) {
    parse = Array.isArray(allowed.parse)
      ? allowed.parse.filter((p): p is string => typeof p === "string")
      : [];
    if (Array.isArray(allowed.users))
      allowedUsers = allowed.users.filter((u): u is string => typeof u === "string");
    if (Array.isArray(allowed.roles))
      allowedRoles = allowed.roles.filter((r): r is string => typeof r === "string");
    repliedUserAllowed = allowed.replied_user === true;
  } else {
    parse = ["users", "roles", "everyone"];
    repliedUserAllowed = true;
  }
  const canEveryone = ctx.canMentionEveryone ?? true;
  const everyone = /@(everyone|here)\b/.test(content) && parse.includes("everyone") && canEveryone;
  const users = new Set<string>();
  for (const m of content.matchAll(/<@!?(\d{15,21})>/g)) {
    const id = m[1];
    if (id === undefined || id === ctx.selfId) continue;
    if (parse.includes("users") || allowedUsers.includes(id)) users.add(id);
  }
  const roles = new Set<string>();
  for (const m of content.matchAll(/<@&(\d{15,21})>/g)) {
    const id = m[1];
    if (id === undefined) continue;
    if (!(parse.includes("roles") || allowedRoles.includes(id))) continue;
    if (canEveryone || (ctx.isRoleMentionable?.(id) ?? true)) roles.add(id);
  }
  const repliedUser =
    ctx.replyTargetAuthorId !== undefined && ctx.replyTargetAuthorId !== ctx.selfId && repliedUserAllowed;
  if (repliedUser && ctx.replyTargetAuthorId !== undefined) users.add(ctx.replyTargetAuthorId);
  return {
    wouldPing: everyone || users.size > 0 || roles.size > 0,
    everyone,
    users: [...users],
    roles: [...roles],
    repliedUser,
  };
}

export { MESSAGE_FLAG_COMPONENTS_V2, MESSAGE_FLAG_EPHEMERAL };
