/**
 * Key naming. Every record lives under `guild:{guildId}:{kind}:…`, so a guild's data is one prefix and
 * one lock scope. Parts may not contain ':' (ids and slugs never do), which keeps keys unambiguous.
 */
export function guildKey(guildId: string, ...parts: (string | number)[]): string {
  let key = `guild:${checkedPart(guildId)}`;
  for (const part of parts) key += `:${checkedPart(String(part))}`;
  return key;
}

function checkedPart(text: string): string {
  if (text.length === 0 || text.includes(":")) throw new Error(`bad key part ${JSON.stringify(text)}`);
  return text;
}

/** The serialisation scope of a key: its guild, or "global" for keys outside any guild. */
export function scopeOf(key: string): string {
  const match = /^guild:([^:]+):/.exec(key);
  return match?.[1] ? `guild:${match[1]}` : "global";
}
