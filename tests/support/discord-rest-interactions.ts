// Interaction callbacks (POST /interactions/{id}/{token}/callback) and interaction webhooks
// (/webhooks/{application_id}/{token}…) of the local Discord test server: the acknowledgement deadline,
// "already acknowledged", deferred responses, follow-ups and @original edits.
import type { JsonObject } from "./discord-fixtures.js";
import { DiscordHttpError, ERR, type RestContext, type RestResult, type Router } from "./discord-http.js";
import type { InteractionState, RecordedCallback } from "./discord-interactions.js";
import {
  createMessage,
  dispatchMessage,
  dispatchMessageDelete,
  editMessage,
  MESSAGE_TYPE,
} from "./discord-messages.js";
import { bodyObject, NO_CONTENT, ok, type RestCore, rejectIfInvalid } from "./discord-rest.js";
import type { StoredChannel, StoredMessage } from "./discord-store.js";
import {
  isEmptyMessage,
  isRecord,
  MESSAGE_FLAG_EPHEMERAL,
  validateInteractionCallback,
  validateWebhookEdit,
  validateWebhookExecute,
} from "./discord-validation.js";

function param(ctx: RestContext, name: string): string {
  return ctx.params[name] ?? "";
}

function responseChannel(core: RestCore, state: InteractionState): StoredChannel {
  const channel = core.store.channels.get(state.channelId);
  if (!channel) throw ERR.unknownChannel();
  return channel;
}

function callbackResponse(core: RestCore, state: InteractionState, type: number): JsonObject {
  const interaction: JsonObject = { id: state.id, type: state.payload.type };
  const resource: JsonObject = { type };
  const message = state.originalMessageId ? core.store.messages.get(state.originalMessageId) : undefined;
  if (message && (type === 4 || type === 5 || type === 7)) {
    interaction.response_message_id = message.id;
    interaction.response_message_loading = type === 5;
    interaction.response_message_ephemeral = message.ephemeral;
    resource.message = core.store.messagePayload(message);
  }
  return { interaction, resource };
}

function acknowledge(
  core: RestCore,
  ctx: RestContext,
  state: InteractionState,
  attempt: RecordedCallback,
): RestResult {
  const body = bodyObject(ctx);
  const afterMs = attempt.afterMs;
  if (afterMs > core.options.ackDeadlineMs) {
    attempt.late = true;
    if (!state.acknowledged) state.late = true;
    throw ERR.unknownInteraction();
  }
  if (state.acknowledged) throw ERR.alreadyAcknowledged();
  rejectIfInvalid(ctx, validateInteractionCallback(body, state.kind));
  const type = Number(body.type);
  const data = isRecord(body.data) ? body.data : {};
  const commandResponse = state.payload.type === 2;
  switch (type) {
    case 4: {
      if (isEmptyMessage(data, ctx.files.length)) throw ERR.emptyMessage();
      const message = createMessage(core, {
        channel: responseChannel(core, state),
        body: data,
        files: ctx.files,
        record: ctx.record,
        interaction: state,
        type: commandResponse ? MESSAGE_TYPE.chatInputCommand : MESSAGE_TYPE.default,
      });
      state.originalMessageId = message.id;
      dispatchMessage(core, "MESSAGE_CREATE", message);
      break;
    }
    case 5: {
      const message = createMessage(core, {
        channel: responseChannel(core, state),
        body: { flags: data.flags },
        files: [],
        record: ctx.record,
        interaction: state,
        type: commandResponse ? MESSAGE_TYPE.chatInputCommand : MESSAGE_TYPE.default,
        loading: true,
      });
      state.originalMessageId = message.id;
      dispatchMessage(core, "MESSAGE_CREATE", message);
      break;
    }
    case 6:
      state.originalMessageId = state.sourceMessageId;
      break;
    case 7: {
      const message = state.sourceMessageId ? core.store.messages.get(state.sourceMessageId) : undefined;
      if (!message || message.deleted) throw ERR.unknownMessage();
      editMessage(core, { message, body: data, files: ctx.files, record: ctx.record, webhook: true });
      state.originalMessageId = message.id;
      state.originalEdited = true;
      dispatchMessage(core, "MESSAGE_UPDATE", message);
      break;
    }
    default:
      break;
  }
  state.acknowledged = attempt;
  if (ctx.query.get("with_response") === "true") return ok(callbackResponse(core, state, type));
  return NO_CONTENT;
}

function registerCallbackRoute(router: Router, core: RestCore): void {
  router.add(
    "POST",
    "/interactions/:interaction_id/:interaction_token/callback",
    (ctx) => {
      const state = core.interactions.get(param(ctx, "interaction_id"));
      if (!state || state.token !== param(ctx, "interaction_token")) throw ERR.unknownInteraction();
      const body = isRecord(ctx.body) ? ctx.body : {};
      const attempt: RecordedCallback = {
        type: typeof body.type === "number" ? body.type : -1,
        data: isRecord(body.data) ? body.data : undefined,
        files: ctx.files,
        status: 0,
        code: undefined,
        late: false,
        afterMs: Date.now() - state.dispatchedAt,
        valid: true,
        errors: [],
        request: ctx.record,
      };
      try {
        const result = acknowledge(core, ctx, state, attempt);
        attempt.status = result.status;
        return result;
      } catch (error) {
        if (error instanceof DiscordHttpError) {
          attempt.status = error.status;
          attempt.code = error.code;
        } else {
          attempt.status = 500;
        }
        attempt.valid = ctx.record.valid;
        attempt.errors = ctx.record.errors;
        throw error;
      } finally {
        state.callbacks.push(attempt);
        core.interactions.notify(state);
      }
    },
    { auth: false },
  );
}

/** The interaction behind an interaction webhook (10015 unknown application, 50027 bad/expired token). */
function webhookState(core: RestCore, ctx: RestContext): InteractionState {
  if (param(ctx, "webhook_id") !== core.store.app.id) throw ERR.unknownWebhook();
  const state = core.interactions.getByToken(param(ctx, "webhook_token"));
  if (!state) throw ERR.invalidWebhookToken();
  if (Date.now() - state.dispatchedAt > core.options.webhookTokenTtlMs) throw ERR.invalidWebhookToken();
  return state;
}

function webhookMessage(core: RestCore, state: InteractionState, messageId: string): StoredMessage {
  const id = messageId === "@original" ? state.originalMessageId : messageId;
  const belongs = id !== undefined && (id === state.originalMessageId || state.followupIds.includes(id));
  const message = belongs && id !== undefined ? core.store.messages.get(id) : undefined;
  if (!message || message.deleted) throw ERR.unknownMessage();
  return message;
}

function registerWebhookRoutes(router: Router, core: RestCore): void {
  const { store } = core;
  const base = "/webhooks/:webhook_id/:webhook_token";

  router.add(
    "POST",
    base,
    (ctx) => {
      const state = webhookState(core, ctx);
      if (!state.acknowledged) throw ERR.unknownWebhook();
      const body = bodyObject(ctx);
      rejectIfInvalid(ctx, validateWebhookExecute(body));
      if (isEmptyMessage(body, ctx.files.length)) throw ERR.emptyMessage();
      const wait = ctx.query.get("wait") === "true";
      let message: StoredMessage;
      if (state.acknowledged.type === 5 && !state.originalEdited && state.originalMessageId) {
        // Discord turns the first follow-up after a deferred response into that response.
        message = webhookMessage(core, state, "@original");
        const { flags: _ignored, ...rest } = body;
        editMessage(core, {
          message,
          body: rest,
          files: ctx.files,
          record: ctx.record,
          webhook: true,
          completingDeferred: true,
        });
        state.originalEdited = true;
        dispatchMessage(core, "MESSAGE_UPDATE", message);
      } else {
        message = createMessage(core, {
          channel: responseChannel(core, state),
          body,
          files: ctx.files,
          record: ctx.record,
          interaction: state,
          type: MESSAGE_TYPE.default,
        });
        state.followupIds.push(message.id);
        dispatchMessage(core, "MESSAGE_CREATE", message);
      }
      core.interactions.notify();
      return wait ? ok(store.messagePayload(message)) : NO_CONTENT;
    },
    { auth: false },
  );

  router.add(
    "GET",
    `${base}/messages/:message_id`,
    (ctx) => {
      const state = webhookState(core, ctx);
      return ok(store.messagePayload(webhookMessage(core, state, param(ctx, "message_id"))));
    },
    { auth: false },
  );

  router.add(
    "PATCH",
    `${base}/messages/:message_id`,
    (ctx) => {
      const state = webhookState(core, ctx);
      const message = webhookMessage(core, state, param(ctx, "message_id"));
      const body = bodyObject(ctx);
      rejectIfInvalid(ctx, validateWebhookEdit(body));
      const isOriginal = message.id === state.originalMessageId;
      const completingDeferred = isOriginal && state.acknowledged?.type === 5 && !state.originalEdited;
      if (completingDeferred && isEmptyMessage({ ...message.data, ...body }, ctx.files.length))
        throw ERR.emptyMessage();
      const editBody = completingDeferred ? withoutEphemeralChange(body) : body;
      editMessage(core, {
        message,
        body: editBody,
        files: ctx.files,
        record: ctx.record,
        webhook: true,
        completingDeferred,
      });
      if (isOriginal) state.originalEdited = true;
      dispatchMessage(core, "MESSAGE_UPDATE", message);
      core.interactions.notify();
      return ok(store.messagePayload(message));
    },
    { auth: false },
  );

  router.add(
    "DELETE",
    `${base}/messages/:message_id`,
    (ctx) => {
      const state = webhookState(core, ctx);
      const message = webhookMessage(core, state, param(ctx, "message_id"));
      message.deleted = true;
      dispatchMessageDelete(core, message);
      core.interactions.notify();
      return NO_CONTENT;
    },
    { auth: false },
  );
}

/** A deferred response keeps the ephemerality chosen when deferring. */
function withoutEphemeralChange(body: JsonObject): JsonObject {
  if (typeof body.flags !== "number") return body;
  return { ...body, flags: body.flags & ~MESSAGE_FLAG_EPHEMERAL };
}

export function registerInteractionRoutes(router: Router, core: RestCore): void {
  registerCallbackRoute(router, core);
  registerWebhookRoutes(router, core);
}
