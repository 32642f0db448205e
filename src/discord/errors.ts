import { DiscordAPIError } from "discord.js";

/** An expected problem with what the user asked: its message is shown to them, ephemerally, as is. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}

/**
 * Whether a failure may go away by itself: anything but Discord's own answer to the request (a 4xx:
 * refused, unknown, not allowed), so 5xx (discord.js throws HTTPError once its retries are spent),
 * network errors and timeouts. Such a request may also have been carried out: Discord may have made the
 * message and failed only to answer.
 */
export function isTransientError(error: unknown): boolean {
  return !isRefusal(error);
}

/** Discord's own answer that it did not do what was asked (a 4xx): it made nothing. */
export function isRefusal(error: unknown): error is DiscordAPIError {
  return error instanceof DiscordAPIError && error.status >= 400 && error.status < 500;
}
