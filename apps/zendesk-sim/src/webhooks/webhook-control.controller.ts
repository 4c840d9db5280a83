import { Body, Controller, Delete, Get, HttpCode, Put, Query } from '@nestjs/common';
import { BodyReader } from '../control/body.reader';
import { SimHttpError } from '../http/sim-http.error';
import { WebhookDeliveryLog, type DeliveryAttempt } from './webhook-delivery.log';
import { WebhookDispatcher, type DeliverySettings, type PendingCounts } from './webhook.dispatcher';

/**
 * The control API for webhook deliveries: what was attempted, what is still pending (tests poll
 * until it is what they expect) and the delivery tunables. Outside `/api/v2`, like `/sim`.
 */
@Controller('sim/webhooks')
export class WebhookControlController {
  constructor(
    private readonly dispatcher: WebhookDispatcher,
    private readonly log: WebhookDeliveryLog,
  ) {}

  /** Attempts oldest first; `after` is the last `seq` already seen, `webhook_id` narrows to one. */
  @Get('deliveries')
  deliveries(
    @Query('webhook_id') webhookId?: string,
    @Query('after') after?: string,
    @Query('limit') limit?: string,
  ) {
    const entries = this.log.list({
      webhookId,
      afterSeq: queryInt(after, 'after', 0),
      limit: queryInt(limit, 'limit', 1),
    });
    const pending = this.dispatcher.pending(webhookId);
    return {
      deliveries: entries.map(deliveryJson),
      last_seq: this.log.lastSeq(),
      pending: total(pending),
    };
  }

  @Delete('deliveries')
  @HttpCode(204)
  clearDeliveries(): void {
    this.log.clear();
  }

  /** Deliveries queued, in flight or awaiting a retry; 0 means every event has been settled. */
  @Get('pending')
  pending(@Query('webhook_id') webhookId?: string) {
    const counts = this.dispatcher.pending(webhookId);
    return {
      pending: total(counts),
      queued: counts.queued,
      in_flight: counts.inFlight,
      awaiting_retry: counts.awaitingRetry,
    };
  }

  @Get('settings')
  getSettings() {
    return settingsJson(this.dispatcher.settings());
  }

  /** Lets a test shorten the 10 s response timeout or shrink the queue; reset restores them. */
  @Put('settings')
  putSettings(@Body() body: unknown) {
    const input = new BodyReader(body).onlyKeys('response_timeout_ms', 'max_in_flight', 'queue_limit');
    return settingsJson(
      this.dispatcher.configure({
        responseTimeoutMs: input.int('response_timeout_ms', 1, 600_000),
        maxInFlight: input.int('max_in_flight', 1, 1000),
        queueLimit: input.int('queue_limit', 1, 1_000_000),
      }),
    );
  }
}

function total(counts: PendingCounts): number {
  return counts.queued + counts.inFlight + counts.awaitingRetry;
}

function deliveryJson(entry: DeliveryAttempt) {
  return {
    seq: entry.seq,
    webhook_id: entry.webhookId,
    invocation_id: entry.invocationId,
    event_id: entry.eventId,
    event_type: entry.eventType,
    agent_id: entry.agentId,
    version: entry.version,
    attempt: entry.attempt,
    time: entry.time,
    outcome: entry.outcome,
    status: entry.status,
    error: entry.error,
    duration_ms: entry.durationMs,
    next_retry_at: entry.nextRetryAt,
  };
}

function settingsJson(settings: DeliverySettings) {
  return {
    response_timeout_ms: settings.responseTimeoutMs,
    max_in_flight: settings.maxInFlight,
    queue_limit: settings.queueLimit,
  };
}

function queryInt(raw: string | undefined, name: string, min: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min) {
    throw SimHttpError.badRequest(`${name} must be an integer >= ${min}`);
  }
  return Number(raw);
}
