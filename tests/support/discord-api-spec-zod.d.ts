// Type declarations for the parts of `discord-api-spec/zod` used by the local Discord test server.
//
// The package's `exports["./zod"].types` points at the generated `.js` file, so TypeScript finds no
// declarations for it (TS7016). Only the request schemas the server validates against are declared;
// add names here when the server starts validating another route. All of them are zod/mini schemas.
declare module "discord-api-spec/zod" {
  import type { ZodMiniType } from "zod/mini";

  type RequestSchema = ZodMiniType<unknown, unknown>;

  // application commands
  export const ApplicationCommandCreateRequestSchema: RequestSchema;
  export const ApplicationCommandUpdateRequestSchema: RequestSchema;
  export const ApplicationCommandPatchRequestPartialSchema: RequestSchema;
  // interaction callbacks
  export const PongInteractionCallbackRequestSchema: RequestSchema;
  export const CreateMessageInteractionCallbackRequestSchema: RequestSchema;
  export const UpdateMessageInteractionCallbackRequestSchema: RequestSchema;
  export const ApplicationCommandAutocompleteCallbackRequestSchema: RequestSchema;
  export const ModalInteractionCallbackRequestSchema: RequestSchema;
  export const LaunchActivityInteractionCallbackRequestSchema: RequestSchema;
  // messages and webhooks
  export const MessageCreateRequestSchema: RequestSchema;
  export const MessageEditRequestPartialSchema: RequestSchema;
  export const IncomingWebhookRequestPartialSchema: RequestSchema;
  export const IncomingWebhookUpdateRequestPartialSchema: RequestSchema;
  // channels and threads
  export const CreateTextThreadWithMessageRequestSchema: RequestSchema;
  export const CreateTextThreadWithoutMessageRequestSchema: RequestSchema;
  export const CreateForumThreadRequestSchema: RequestSchema;
  export const UpdateGuildChannelRequestPartialSchema: RequestSchema;
  export const UpdateThreadRequestPartialSchema: RequestSchema;
  export const UpdateDMRequestPartialSchema: RequestSchema;
  export const CreatePrivateChannelRequestSchema: RequestSchema;
  // response schemas (used by the self-tests to check the server's own responses)
  export const ApplicationCommandResponseSchema: RequestSchema;
  export const MessageResponseSchema: RequestSchema;
  export const ThreadResponseSchema: RequestSchema;
  export const GuildChannelResponseSchema: RequestSchema;
  export const InteractionCallbackResponseSchema: RequestSchema;
  export const GatewayBotResponseSchema: RequestSchema;
  export const PrivateChannelResponseSchema: RequestSchema;
}
