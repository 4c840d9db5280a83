import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ZendeskClient } from '@app/zendesk';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { DecisionRecord } from '../audit/audit.store';
import type { IntakeOutcome, RejectionCause } from '../sync/webhook.intake';

const BREAKER_STATES = { closed: 0, half_open: 1, open: 2 } as const;

/** Prometheus metrics of the router, on a registry of its own (`GET /metrics`). */
@Injectable()
export class RouterMetrics implements OnModuleInit, OnApplicationShutdown {
  readonly registry = new Registry();
  private readonly decisions = new Counter({
    name: 'router_decisions_total',
    help: 'Decisions recorded, by rule and outcome',
    labelNames: ['rule', 'outcome'],
    registers: [this.registry],
  });
  private readonly apiCalls = new Counter({
    name: 'router_zendesk_requests_total',
    help: 'Zendesk API calls, by endpoint and status (0 when no answer)',
    labelNames: ['endpoint', 'status'],
    registers: [this.registry],
  });
  private readonly decodeDrops = new Counter({
    name: 'router_zendesk_decode_dropped_total',
    help: 'Parts of Zendesk answers left out rather than failing the call, by endpoint and kind',
    labelNames: ['endpoint', 'kind'],
    registers: [this.registry],
  });
  private readonly webhookLag = new Histogram({
    name: 'router_webhook_lag_seconds',
    help: 'From the event time in Zendesk to its arrival here',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly evaluation = new Histogram({
    name: 'router_evaluation_seconds',
    help: 'Time of one evaluation pass over a batch of agents: evaluate, plan, act, record',
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'router_decision_latency_seconds',
    help: 'From the trigger (event or tick) to the recorded outcome',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });
  private readonly liveDropped = new Counter({
    name: 'router_sse_dropped_total',
    help: 'Live-stream (Server-Sent Events) clients dropped for not reading their events',
    registers: [this.registry],
  });
  private readonly webhooks = new Counter({
    name: 'router_webhooks_total',
    help: 'Webhook deliveries, by outcome: accepted, duplicate or rejected',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly webhooksRejected = new Counter({
    name: 'router_webhooks_rejected_total',
    help: 'Webhook deliveries rejected, by reason (bad_signature, stale_timestamp, too_large, malformed, ...)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly targetedReads = new Counter({
    name: 'router_targeted_reads_total',
    help: 'Targeted reads of one agent after a version gap or an unknown agent, by outcome: applied, unchanged, failed',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly targetedReadEvents = new Counter({
    name: 'router_targeted_read_events_total',
    help: 'Events for an agent whose read was in flight, by outcome: waited (then applied or made redundant), dropped (still not applicable after the read; the next resync catches up)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly targetedReadsPending = new Gauge({
    name: 'router_targeted_reads_pending',
    help: 'Agents with a targeted read waiting for budget or in flight',
    registers: [this.registry],
  });
  private readonly targetedReadWaiting = new Gauge({
    name: 'router_targeted_read_waiting_events',
    help: 'Events waiting for their agent’s targeted read',
    registers: [this.registry],
  });
  private readonly clockSkewed = new Gauge({
    name: 'router_zendesk_clock_skewed',
    help: '1 while Zendesk’s clock (its Date header) is further from ours than WEBHOOK_MAX_SKEW_S',
    registers: [this.registry],
  });
  private subscription: Subscription | null = null;

  constructor(private readonly client: ZendeskClient) {
    collectDefaultMetrics({ register: this.registry, prefix: 'router_' });
    const budget = this.client;
    new Gauge({
      name: 'router_zendesk_budget_remaining',
      help: 'Requests the rate budget could send right now, read at scrape time',
      registers: [this.registry],
      collect() {
        this.set(budget.budget().remaining);
      },
    });
    new Gauge({
      name: 'router_zendesk_breaker_state',
      help: 'Circuit breaker: 0 closed, 1 half-open, 2 open',
      registers: [this.registry],
      collect() {
        this.set(BREAKER_STATES[budget.budget().breaker]);
      },
    });
    new Gauge({
      name: 'router_zendesk_queued_requests',
      help: 'Calls waiting for budget',
      registers: [this.registry],
      collect() {
        this.set(budget.budget().queued);
      },
    });
    new Gauge({
      name: 'router_zendesk_queued_requests_by_priority',
      help: 'Calls waiting for budget, by priority: write, read (targeted reads), bulk (resyncs)',
      labelNames: ['priority'],
      registers: [this.registry],
      collect() {
        for (const [priority, queued] of Object.entries(budget.budget().queuedBy))
          this.set({ priority }, queued);
      },
    });
    new Gauge({
      name: 'router_zendesk_account_remaining',
      help: 'Requests the account has left by Zendesk’s last X-Rate-Limit-Remaining, less ours since (NaN until it says)',
      registers: [this.registry],
      collect() {
        this.set(budget.budget().accountRemaining ?? NaN);
      },
    });
    new Counter({
      name: 'router_zendesk_account_holds_total',
      help: 'Times calls were held back because the account, shared with other integrations, had little left',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(budget.budget().accountHolds);
      },
    });
    new Gauge({
      name: 'router_zendesk_clock_offset_seconds',
      help: 'Zendesk’s clock (its Date header) minus ours, in seconds (NaN before its first answer)',
      registers: [this.registry],
      collect() {
        const offset = budget.clockOffset();
        this.set(offset === null ? NaN : offset.offsetMs / 1000);
      },
    });
  }

  onModuleInit(): void {
    this.subscription = this.client.events$.subscribe((event) => {
      if (event.type === 'response')
        this.apiCalls.inc({ endpoint: event.endpoint, status: String(event.status) });
      if (event.type === 'failure')
        this.apiCalls.inc({ endpoint: event.endpoint, status: String(event.status ?? 0) });
      if (event.type === 'decode_dropped')
        this.decodeDrops.inc({ endpoint: event.endpoint, kind: event.drop.kind });
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  recorded(records: readonly DecisionRecord[]): void {
    for (const record of records) {
      this.decisions.inc({ rule: record.rule, outcome: record.outcome });
      if (record.latencyMs !== null) this.latency.observe(record.latencyMs / 1000);
    }
  }

  liveClientDropped(): void {
    this.liveDropped.inc();
  }

  /** One webhook delivery's outcome (and why, when rejected). */
  webhookDelivery(kind: IntakeOutcome['kind'], cause?: RejectionCause): void {
    this.webhooks.inc({ outcome: kind });
    if (cause) this.webhooksRejected.inc({ reason: cause });
  }

  targetedRead(outcome: 'applied' | 'unchanged' | 'failed'): void {
    this.targetedReads.inc({ outcome });
  }

  targetedReadEvent(outcome: 'waited' | 'dropped', count = 1): void {
    if (count > 0) this.targetedReadEvents.inc({ outcome }, count);
  }

  /** Agents whose read is pending, and the events waiting for those reads. */
  targetedReadsWaiting(agents: number, events: number): void {
    this.targetedReadsPending.set(agents);
    this.targetedReadWaiting.set(events);
  }

  clockSkew(beyondWindow: boolean): void {
    this.clockSkewed.set(beyondWindow ? 1 : 0);
  }

  evaluated(seconds: number): void {
    this.evaluation.observe(seconds);
  }

  webhookArrived(eventTime: string | undefined, receivedAt: number): void {
    const sent = eventTime ? Date.parse(eventTime) : NaN;
    if (!Number.isNaN(sent)) this.webhookLag.observe(Math.max(0, receivedAt - sent) / 1000);
  }
}
