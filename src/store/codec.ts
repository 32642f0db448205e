import { defaultDeserialize, defaultSerialize } from "@keyv/serialize";

/**
 * keyv's default codec (@keyv/serialize) writes JSON with one twist: a string that starts with ":" is
 * stored with one more ":" in front (":base64:…" marks a Buffer), and reading strips it again. It does
 * this with a serializer written in JavaScript that concatenates strings, and a JSON.parse reviver that
 * runs for every value: in the `/pair round` profile over 10,000 learners these two cost more than the
 * matching. This codec writes and reads exactly the same text, through the native JSON functions
 * whenever the twist cannot apply, and falls back to the default codec when it might.
 */

/** True when `value` is plain JSON data (no Buffer, Date, toJSON…) with no string starting with ":". */
function isPlain(value: unknown, depth = 0): boolean {
  if (value === null || value === undefined) return true;
  switch (typeof value) {
    case "string":
      return !value.startsWith(":");
    case "number":
    case "boolean":
      return true;
    case "object": {
      if (depth > 64) return false;
      if (Array.isArray(value)) {
        for (const item of value) if (!isPlain(item, depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        if (!Object.hasOwn(value, key)) return false;
        if (!isPlain((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

export function serialize(data: unknown): string {
  return isPlain(data) ? JSON.stringify(data) : defaultSerialize(data);
}

/**
 * A stored string value that started with ":" reads back as `"::…` (or `":base64:` for a Buffer); the
 * text of a record without either sequence parses the same with or without the default's reviver.
 */
export function deserialize<T>(text: string): T {
  try {
    if (text.includes('"::') || text.includes('":base64:')) return defaultDeserialize(text) as T;
    return JSON.parse(text) as T;
  } catch (error) {
    throw new UndecodableError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/**
 * A stored value that is not the text this codec writes (a damaged row). The store skips such a record
 * as corrupt; any other error from a read (the backend failing) is not mistaken for one.
 */
export class UndecodableError extends Error {
  override readonly name = "UndecodableError";
}
