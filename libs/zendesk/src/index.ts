/** The Zendesk client library: the only code in the router that talks to Zendesk. */
export {
  ZendeskClient,
  type AvailabilityFilter,
  type BudgetReport,
  type CallOptions,
} from './zendesk.client';
export { ZendeskModule } from './zendesk.module';
export { OAuthTokenProvider, type OAuthTokenEvent } from './oauth-token.provider';
export type { ZendeskAuth, ZendeskClientOptions } from './zendesk.options';
export type { BreakerState, ClockOffset, ZendeskClientEvent } from './zendesk.http';
export type { DecodeDrop, DecodeDropKind } from './zendesk.decoder';
export { ZendeskError, ZendeskErrorCode } from './zendesk.errors';
export type {
  AgentAvailability,
  AgentChannel,
  AgentStatusChange,
  AgentStatusRef,
  CapacityAssignee,
  CapacityChannel,
  CapacityRule,
  CapacityRuleUpdate,
  ChannelName,
  ChannelStatus,
  StatusJob,
  StatusJobResult,
  UnifiedStatus,
  Webhook,
  WebhookInput,
  WorkItem,
  ZendeskUser,
} from './zendesk.domain';
export { type BudgetClock, type RequestPriority } from './rate-budget';
export {
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  WebhookSignatureVerifier,
  zendeskWebhookSignature,
  type SignatureFailure,
  type SignatureVerdict,
  type WebhookSignatureOptions,
} from './webhook-signature';
