import { createHash } from "node:crypto";

/**
 * An enforced message nonce (`nonce` with `enforceNonce: true`): Discord answers a repeat of the send
 * within its window with the first message, so a retry of a send it made but did not confirm (a 500, a
 * timeout) posts nothing twice. At most 25 characters, as Discord allows; unique per guild and `what`.
 */
export function postNonce(guildId: string, what: string): string {
  return createHash("sha256").update(`nexus|${guildId}|${what}`).digest("hex").slice(0, 25);
}
