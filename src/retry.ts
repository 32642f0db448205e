/**
 * Posts Discord did not answer (5xx, network, timeouts: an outage) are tried again by the jobs, this many
 * times in all, the wait doubling from RETRY_FIRST_MS up to an hour (about three hours in all): an outage
 * is not hammered every minute, and nothing is left waiting for good.
 */
export const RETRY_TRIES_MAX = 8;
export const RETRY_FIRST_MS = 2 * 60_000;
const RETRY_LONGEST_MS = 60 * 60_000;

/** How long after its `tries`-th failed try (1 or more) something is tried again. */
export function retryDelay(tries: number): number {
  return Math.min(RETRY_FIRST_MS * 2 ** Math.max(0, tries - 1), RETRY_LONGEST_MS);
}
