// Questions as /ask leaves them once posted, for domain tests that need one on Discord (accepting needs it).
import type { Clock } from "../../src/clock.js";
import { type AskInput, askQuestion, attachQuestionMessage } from "../../src/questions/questions.js";
import type { Question } from "../../src/questions/schema.js";
import type { Store } from "../../src/store/store.js";

/** The Nexus channel the fixtures' questions are posted in. */
export const POSTED_CHANNEL = "900000000000000001";

/** Asks a question and records its message and thread (ids made from its number), as a posted /ask does. */
export async function askPosted(
  store: Store,
  clock: Clock,
  guildId: string,
  input: AskInput,
): Promise<Question> {
  const question = await askQuestion(store, clock, guildId, input);
  const messageId = String(910_000_000_000_000_000n + BigInt(question.number));
  return attachQuestionMessage(store, guildId, question.number, {
    channelId: POSTED_CHANNEL,
    messageId,
    threadId: messageId,
  });
}
