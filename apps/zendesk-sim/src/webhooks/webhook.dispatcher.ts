import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { SimClock, type ClockTimer } from '../clock/sim.clock';
import { FaultInjector } from '../faults/fault.injector';
import type { AgentEvent } from '../store/account.model';
import { AccountStore } from '../store/account.store';
import { Prng, ulid } from '../store/prng';
import { agentEventEnvelope, type AgentEventTypeName } from './agent-event.envelope';
import { WebhookDeliveryLog, type DeliveryAttempt } from './webhook-delivery.log';
import { WebhookRegistry, type WebhookAuthentication } from './webhook.registry';
import { WebhookSender, type WebhookResponse } from './webhook.sender';
import { signWebhookPayload, signatureTimestamp } from './webhook.signer';

/** How deliveries behave; the control API may change them for a test and reset restores them. */
export interface DeliverySettings {
  /** Real time a receiver has to answer (section 11.9: 10 s). */
  readonly responseTimeoutMs: number;
  /** Requests in flight at once per webhook. */
  readonly maxInFlight: number;
  /** First attempts waiting per webhook before the oldest is dropped; also caps waiting retries. */
  readonly queueLimit: number;
}

/** The settings of section 11.9 plus our own bounds. */
export const DEFAULT_DELIVERY_SETTINGS: DeliverySettings = Object.freeze({
  responseTimeoutMs: 10_000,
  maxInFlight: 8,
  queueLimit: 10_000,
});

/** Back-off before each retry, on the simulator clock: three retries after the first attempt. */
export const RETRY_DELAYS_MS: readonly number[] = [5_000, 30_000, 120_000];

/** A `Retry-After` longer than this is ignored in favour of the regular back-off. */
const MAX_RETRY_AFTER_S = 60;

/** Zendesk's invocation ids are plain integers (section 11.6); ours count up from here. */
const INVOCATION_ID_BASE = 8_350_205_000;
const EVENT_ID_SEED = 0xe7e47;

/** Deliveries for one webhook right now. */
export interface PendingCounts {
  readonly queued: number;
  readonly inFlight: number;
  /** Waiting for their retry time, or due and waiting for a free slot. */
  readonly awaitingRetry: number;
}

/** One event, serialised once: every webhook and every retry sends exactly these bytes. */
interface PreparedEvent {
  readonly id: string;
  readonly type: AgentEventTypeName;
  readonly accountId: number;
  readonly agentId: number;
  readonly version: number;
  readonly body: Buffer;
}

/** One event on its way to one webhook, across all of its attempts. */
interface Delivery {
  readonly webhookId: string;
  readonly invocationId: string;
  readonly event: PreparedEvent;
  state: 'queued' | 'in_flight' | 'awaiting_retry' | 'due' | 'done';
  /** Attempts started so far. */
  attempts: number;
  retryAt: number;
}

/**
 * One webhook's deliveries. First attempts wait per agent in version order and an agent has at
 * most one first attempt in flight, so a receiver sees each agent's events in order unless a
 * retry reorders them (section 11.9 allows that).
 */
class Lane {
  readonly byAgent = new Map<number, Delivery[]>();
  /** Agents whose next first attempt may start, in the order they became ready. */
  ready: number[] = [];
  readonly readySet = new Set<number>();
  readonly busyAgents = new Set<number>();
  /** Every queued delivery in arrival order (plus some already started), to find the oldest. */
  arrival: Delivery[] = [];
  /** Retries whose time has come, waiting for a free slot. */
  due: Delivery[] = [];
  queued = 0;
  inFlight = 0;
  awaitingRetry = 0;
  discarded = 0;
}

/**
 * Turns agent events into signed webhook requests (sections 11.3–11.9): fans each event out to the
 * active webhooks subscribed to its type, keeps per-agent order, bounds concurrency and queue
 * length, retries on the simulator clock and records every attempt in the delivery log.
 *
 * The queues are hand-written rather than an RxJS chain: drop-oldest bounds, retries that must
 * follow a clock tests can freeze, and webhooks that come and go do not map onto operators
 * without hiding the state a test needs to inspect.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WebhookDispatcher');
  private subscription: Subscription | null = null;
  private current: DeliverySettings = DEFAULT_DELIVERY_SETTINGS;
  private lanes = new Map<string, Lane>();
  /** Deliveries waiting for their retry time, soonest first; one clock timer serves them all. */
  private retries: Delivery[] = [];
  private retryTimer: ClockTimer | null = null;
  private retryTimerAt = Number.POSITIVE_INFINITY;
  private aborter = new AbortController();
  /** Bumped on reset so answers to requests sent before it are ignored. */
  private generation = 0;
  private readonly eventIds = new Prng(EVENT_ID_SEED);
  private invocations = 0;

  constructor(
    private readonly store: AccountStore,
    private readonly registry: WebhookRegistry,
    private readonly clock: SimClock,
    private readonly faults: FaultInjector,
    private readonly sender: WebhookSender,
    private readonly log: WebhookDeliveryLog,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription ??= this.store.events$.subscribe((event) => this.fanOut(event));
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
    this.stop();
  }

  /** Drops every queued, in-flight and waiting delivery, the log and any changed settings. */
  reset(): void {
    this.stop();
    // Event and invocation ids keep counting: a receiver that dedupes on them must never see an
    // id again after a reset, even when a test freezes the clock at the same instant each time.
    this.current = DEFAULT_DELIVERY_SETTINGS;
    this.log.clear();
  }

  settings(): DeliverySettings {
    return this.current;
  }

  configure(changes: Partial<DeliverySettings>): DeliverySettings {
    const given = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    this.current = Object.freeze({ ...this.current, ...given });
    for (const lane of this.lanes.values()) this.pump(lane);
    return this.current;
  }

  /** Deliveries not yet finished, for one webhook or all of them. */
  pending(webhookId?: string): PendingCounts {
    let queued = 0;
    let inFlight = 0;
    let awaitingRetry = 0;
    for (const [id, lane] of this.lanes) {
      if (webhookId !== undefined && id !== webhookId) continue;
      queued += lane.queued;
      inFlight += lane.inFlight;
      awaitingRetry += lane.awaitingRetry + lane.due.length;
    }
    return { queued, inFlight, awaitingRetry };
  }

  /**
   * Gives up every delivery of a webhook that has not been sent yet (it was deleted or
   * deactivated), recording each as discarded. Requests already in flight finish normally.
   */
  discardPending(webhookId: string, reason: string): void {
    const lane = this.lanes.get(webhookId);
    if (!lane) return;
    const waiting = this.retries.filter((d) => d.webhookId === webhookId);
    const victims = [...lane.due, ...lane.arrival.filter((d) => d.state === 'queued'), ...waiting];
    this.retries = this.retries.filter((d) => d.webhookId !== webhookId);
    lane.due = [];
    lane.byAgent.clear();
    lane.ready = [];
    lane.readySet.clear();
    lane.arrival = [];
    lane.queued = 0;
    lane.awaitingRetry = 0;
    this.armRetryTimer();
    for (const delivery of victims) this.discard(delivery, reason);
  }

  private stop(): void {
    this.generation += 1;
    this.aborter.abort();
    this.aborter = new AbortController();
    this.retryTimer?.cancel();
    this.retryTimer = null;
    this.retryTimerAt = Number.POSITIVE_INFINITY;
    this.retries = [];
    this.lanes = new Map();
  }

  // ---- intake --------------------------------------------------------------------------------

  private fanOut(event: AgentEvent): void {
    // A throw here would surface inside the store's emit, failing whatever changed the agent.
    try {
      const webhooks = this.registry.subscribers(event.change.type);
      if (webhooks.length === 0) return;
      const prepared = this.prepare(event);
      for (const webhook of webhooks) {
        this.enqueue(this.laneOf(webhook.id), {
          webhookId: webhook.id,
          invocationId: String(INVOCATION_ID_BASE + ++this.invocations),
          event: prepared,
          state: 'queued',
          attempts: 0,
          retryAt: 0,
        });
      }
    } catch (error) {
      this.logger.error(`Could not queue webhook deliveries: ${String(error)}`);
    }
  }

  private prepare(event: AgentEvent): PreparedEvent {
    const accountId = this.store.accountId;
    const envelope = agentEventEnvelope(accountId, ulid(event.at, this.eventIds), event);
    return {
      id: envelope.id,
      type: envelope.type,
      accountId,
      agentId: event.agentId,
      version: event.version,
      body: Buffer.from(JSON.stringify(envelope), 'utf8'),
    };
  }

  private laneOf(webhookId: string): Lane {
    let lane = this.lanes.get(webhookId);
    if (!lane) {
      lane = new Lane();
      this.lanes.set(webhookId, lane);
    }
    return lane;
  }

  private enqueue(lane: Lane, delivery: Delivery): void {
    const agentId = delivery.event.agentId;
    const waiting = lane.byAgent.get(agentId);
    if (waiting) waiting.push(delivery);
    else lane.byAgent.set(agentId, [delivery]);
    lane.arrival.push(delivery);
    lane.queued += 1;
    this.markReady(lane, agentId);
    this.pump(lane);
    if (lane.queued > this.current.queueLimit) this.dropOldest(lane);
  }

  /** A receiver far behind loses its oldest unsent event rather than the simulator its memory. */
  private dropOldest(lane: Lane): void {
    for (;;) {
      const oldest = lane.arrival.shift();
      if (!oldest) return;
      if (oldest.state !== 'queued') continue;
      // Per-agent lists are in arrival order too, so the globally oldest heads its agent's list.
      const waiting = lane.byAgent.get(oldest.event.agentId);
      waiting?.shift();
      if (waiting?.length === 0) lane.byAgent.delete(oldest.event.agentId);
      lane.queued -= 1;
      lane.discarded += 1;
      const limit = this.current.queueLimit;
      if (lane.discarded === 1 || lane.discarded % 1000 === 0) {
        this.logger.warn(
          `Webhook ${oldest.webhookId} is far behind: ${lane.discarded} event(s) dropped so far (queue limit ${limit})`,
        );
      }
      this.discard(
        oldest,
        `queue full: ${limit} events waiting for this webhook, so the oldest was dropped (${lane.discarded} so far)`,
      );
      return;
    }
  }

  private markReady(lane: Lane, agentId: number): void {
    if (lane.busyAgents.has(agentId) || lane.readySet.has(agentId) || !lane.byAgent.has(agentId)) return;
    lane.ready.push(agentId);
    lane.readySet.add(agentId);
  }

  // ---- sending -------------------------------------------------------------------------------

  private pump(lane: Lane): void {
    while (lane.inFlight < this.current.maxInFlight) {
      const next = lane.due.shift() ?? this.takeFirstAttempt(lane);
      if (!next) return;
      this.attempt(lane, next);
    }
  }

  private takeFirstAttempt(lane: Lane): Delivery | undefined {
    while (lane.ready.length > 0) {
      const agentId = lane.ready.shift()!;
      lane.readySet.delete(agentId);
      const waiting = lane.byAgent.get(agentId);
      const next = waiting?.shift();
      if (!next) continue;
      if (waiting!.length === 0) lane.byAgent.delete(agentId);
      lane.queued -= 1;
      lane.busyAgents.add(agentId);
      if (lane.arrival.length > 2 * lane.queued + 1024) {
        lane.arrival = lane.arrival.filter((d) => d.state === 'queued' && d !== next);
      }
      return next;
    }
    return undefined;
  }

  private attempt(lane: Lane, delivery: Delivery): void {
    delivery.attempts += 1;
    const startedAt = this.clock.now();
    const webhook = this.registry.find(delivery.webhookId);
    if (!webhook || webhook.status !== 'active') {
      this.discard(delivery, webhook ? 'webhook is inactive' : 'webhook was deleted', delivery.attempts);
      this.release(lane, delivery);
      return;
    }
    if (this.faults.dropWebhook()) {
      delivery.state = 'done';
      this.record(delivery, {
        time: startedAt,
        outcome: 'dropped',
        error: 'drop_webhooks fault: not sent, and not retried',
      });
      this.release(lane, delivery);
      return;
    }
    delivery.state = 'in_flight';
    lane.inFlight += 1;
    const timestamp = signatureTimestamp(startedAt);
    const { body } = delivery.event;
    const generation = this.generation;
    const request = {
      url: webhook.endpoint,
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'Zendesk Webhook',
        'x-zendesk-account-id': String(delivery.event.accountId),
        'x-zendesk-webhook-id': webhook.id,
        'x-zendesk-webhook-invocation-id': delivery.invocationId,
        'x-zendesk-webhook-signature-timestamp': timestamp,
        'x-zendesk-webhook-signature': signWebhookPayload(webhook.signingSecret, timestamp, body),
        ...authenticationHeaders(webhook.authentication),
      },
      body,
      timeoutMs: this.current.responseTimeoutMs,
      signal: this.aborter.signal,
    };
    void this.sender.send(request).then(
      (response) => this.complete(lane, delivery, response, startedAt, generation),
      (error: unknown) =>
        this.complete(
          lane,
          delivery,
          { status: null, retryAfter: null, error: String(error), timedOut: false, durationMs: 0 },
          startedAt,
          generation,
        ),
    );
  }

  private complete(
    lane: Lane,
    delivery: Delivery,
    response: WebhookResponse,
    startedAt: number,
    generation: number,
  ): void {
    if (generation !== this.generation) return;
    lane.inFlight -= 1;
    const { status } = response;
    const delivered = status !== null && status >= 200 && status < 300;
    let error: string | null = null;
    let nextRetryAt: number | null = null;
    if (!delivered) {
      const failure = response.error ?? `HTTP ${status}`;
      if (!isRetryable(response)) {
        error = `${failure} (not retried: a 4xx other than 409 and 429)`;
      } else if (delivery.attempts > RETRY_DELAYS_MS.length) {
        error = `${failure} (gave up after ${RETRY_DELAYS_MS.length} retries)`;
      } else if (lane.awaitingRetry + lane.due.length >= this.current.queueLimit) {
        error = `${failure} (not retried: ${this.current.queueLimit} retries already waiting)`;
      } else {
        error = failure;
        nextRetryAt = this.clock.now() + retryDelayMs(delivery.attempts, response);
      }
    }
    this.record(delivery, {
      time: startedAt,
      outcome: delivered ? 'delivered' : 'failed',
      status,
      error,
      durationMs: response.durationMs,
      nextRetryAt,
    });
    if (nextRetryAt === null) delivery.state = 'done';
    else this.scheduleRetry(lane, delivery, nextRetryAt);
    this.release(lane, delivery);
    this.pump(lane);
  }

  /** After an agent's first attempt ends, however it ended, that agent's next event may go. */
  private release(lane: Lane, delivery: Delivery): void {
    if (delivery.attempts !== 1) return;
    lane.busyAgents.delete(delivery.event.agentId);
    this.markReady(lane, delivery.event.agentId);
  }

  // ---- retries -------------------------------------------------------------------------------

  private scheduleRetry(lane: Lane, delivery: Delivery, at: number): void {
    delivery.state = 'awaiting_retry';
    delivery.retryAt = at;
    lane.awaitingRetry += 1;
    // Binary search for the first later retry keeps equal due times in scheduling order.
    let lo = 0;
    let hi = this.retries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.retries[mid]!.retryAt <= at) lo = mid + 1;
      else hi = mid;
    }
    this.retries.splice(lo, 0, delivery);
    this.armRetryTimer();
  }

  private armRetryTimer(): void {
    const first = this.retries[0];
    if (first && this.retryTimer && this.retryTimerAt === first.retryAt) return;
    this.retryTimer?.cancel();
    this.retryTimer = null;
    this.retryTimerAt = Number.POSITIVE_INFINITY;
    if (!first) return;
    this.retryTimerAt = first.retryAt;
    this.retryTimer = this.clock.schedule(first.retryAt - this.clock.now(), () => this.releaseDueRetries());
  }

  private releaseDueRetries(): void {
    this.retryTimer = null;
    this.retryTimerAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    const touched = new Set<Lane>();
    while (this.retries[0] && this.retries[0].retryAt <= now) {
      const delivery = this.retries.shift()!;
      const lane = this.laneOf(delivery.webhookId);
      lane.awaitingRetry -= 1;
      delivery.state = 'due';
      lane.due.push(delivery);
      touched.add(lane);
    }
    for (const lane of touched) this.pump(lane);
    this.armRetryTimer();
  }

  // ---- log -----------------------------------------------------------------------------------

  private discard(delivery: Delivery, reason: string, attempt = delivery.attempts + 1): void {
    delivery.state = 'done';
    this.record(delivery, { attempt, time: this.clock.now(), outcome: 'discarded', error: reason });
  }

  private record(
    delivery: Delivery,
    fields: Pick<DeliveryAttempt, 'outcome' | 'error'> &
      Partial<Pick<DeliveryAttempt, 'attempt' | 'status' | 'durationMs'>> & {
        time: number;
        nextRetryAt?: number | null;
      },
  ): void {
    const { event } = delivery;
    this.log.record({
      webhookId: delivery.webhookId,
      invocationId: delivery.invocationId,
      eventId: event.id,
      eventType: event.type,
      agentId: event.agentId,
      version: event.version,
      attempt: fields.attempt ?? delivery.attempts,
      time: new Date(fields.time).toISOString(),
      outcome: fields.outcome,
      status: fields.status ?? null,
      error: fields.error,
      durationMs: fields.durationMs ?? 0,
      nextRetryAt:
        fields.nextRetryAt === undefined || fields.nextRetryAt === null
          ? null
          : new Date(fields.nextRetryAt).toISOString(),
    });
  }
}

/** Section 11.9: retry on 409, 429, 5xx, timeouts and connection errors; not on other 4xx. */
function isRetryable(response: WebhookResponse): boolean {
  const { status } = response;
  return status === null || status === 409 || status === 429 || status >= 500;
}

/** The regular back-off, unless a 429/503 asked for a wait of at most a minute. */
function retryDelayMs(attemptsMade: number, response: WebhookResponse): number {
  const regular = RETRY_DELAYS_MS[attemptsMade - 1] ?? RETRY_DELAYS_MS[RETRY_DELAYS_MS.length - 1]!;
  if (response.status !== 429 && response.status !== 503) return regular;
  const seconds = retryAfterSeconds(response.retryAfter);
  return seconds !== null && seconds <= MAX_RETRY_AFTER_S ? seconds * 1000 : regular;
}

/** `Retry-After` as delta-seconds or an HTTP date (RFC 9110); null when absent or unreadable. */
function retryAfterSeconds(raw: string | null): number | null {
  if (raw === null) return null;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  // An HTTP date is the receiver's wall time, so it is compared with wall time, not the sim clock.
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** The credential headers of section 11.6 for a webhook's `authentication`. */
export function authenticationHeaders(auth: WebhookAuthentication | null): Record<string, string> {
  if (!auth) return {};
  switch (auth.type) {
    case 'bearer_token':
      return { Authorization: `Bearer ${auth.token}` };
    case 'basic_auth':
      return {
        Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`,
      };
    case 'api_key':
      return { [auth.name]: auth.value };
  }
}
