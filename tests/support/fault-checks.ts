// Checks the fault suite applies to everything the bot sent: each REST request valid against Discord's
// OpenAPI document and limits (the local server validates every body), and no request that would ping
// anyone the bot did not name on purpose.
import { describeIssues } from "./discord-http.js";
import type { RecordedRequest } from "./discord-server.js";
import { isRecord } from "./discord-server.js";

const INTERACTION_RESPONSE = /^\/(interactions|webhooks)\//;

/** Whether a request is an interaction response: the callback, or a follow-up / edit through its webhook. */
export const isInteractionResponse = (r: RecordedRequest): boolean =>
  r.interactionCallback || INTERACTION_RESPONSE.test(r.path);

/**
 * A ping the bot made on purpose names its users in `allowed_mentions.users` and parses nothing from the
 * content (pairing introductions ping exactly the pair). Anything else that would ping is a bug: an
 * echoed `@everyone`, a role, or a user mention taken from someone's text.
 */
export function isIntendedPing(r: RecordedRequest): boolean {
  const body = r.body;
  if (!isRecord(body) || !isRecord(body.allowed_mentions)) return false;
  const allowed = body.allowed_mentions;
  const parse = Array.isArray(allowed.parse) ? allowed.parse : [];
  const users = Array.isArray(allowed.users) ? allowed.users : [];
  return (
    parse.length === 0 &&
    !r.mentions.everyone &&
    r.mentions.roles.length === 0 &&
    r.mentions.users.every((id) => users.includes(id))
  );
}

export type Audit = {
  requests: number;
  invalid: RecordedRequest[];
  /** Would notify someone and is not an intended ping, or is an interaction response that would ping. */
  unintendedPings: RecordedRequest[];
  intendedPings: number;
  /** The test server itself failed (a bug in the fake): never expected. */
  serverErrors: RecordedRequest[];
};

export function auditRequests(requests: readonly RecordedRequest[]): Audit {
  const invalid = requests.filter((r) => !r.valid);
  const pinging = requests.filter((r) => r.wouldPing);
  const unintendedPings = pinging.filter((r) => isInteractionResponse(r) || !isIntendedPing(r));
  return {
    requests: requests.length,
    invalid,
    unintendedPings,
    intendedPings: pinging.length - unintendedPings.length,
    serverErrors: requests.filter((r) => r.serverError !== undefined),
  };
}

/** One line per problem request, for assertion messages. */
export function describeRequests(requests: readonly RecordedRequest[], max = 5): string[] {
  return requests.slice(0, max).map((r) => {
    const problem = r.valid ? JSON.stringify(r.mentions) : describeIssues(r.errors);
    const body = JSON.stringify(r.body ?? null).slice(0, 300);
    return `${r.method} ${r.route} → ${r.status}: ${problem} body=${body}`;
  });
}
