import { Logger } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { SimClock } from '../clock/sim.clock';
import { SIM_DEFAULTS } from '../config/sim.config';
import { FaultInjector } from '../faults/fault.injector';
import { AGENT_EVENT_TYPES } from '../store/account.model';
import { FIRST_AGENT_ID, seedAccount } from '../store/account.seed';
import { AccountStore } from '../store/account.store';
import { WebhookDeliveryLog } from './webhook-delivery.log';
import { WebhookDispatcher } from './webhook.dispatcher';
import { WebhookRegistry, type WebhookInput } from './webhook.registry';
import { WebhookSender, type WebhookRequest, type WebhookResponse } from './webhook.sender';

const T0 = Date.UTC(2025, 2, 14, 9, 0, 0);
const AGENT_A = FIRST_AGENT_ID;
const AGENT_B = FIRST_AGENT_ID + 1;

interface Call {
  readonly request: WebhookRequest;
  readonly body: { type: string; detail: { agent_id: string; version: string } };
  answer(status: number | null, retryAfter?: string): void;
}

/** A receiver the test answers by hand; requests stay in flight until it does. */
class ScriptedSender extends WebhookSender {
  readonly calls: Call[] = [];

  override send(request: WebhookRequest): Promise<WebhookResponse> {
    return new Promise((resolve) => {
      this.calls.push({
        request,
        body: JSON.parse(request.body.toString('utf8')),
        answer: (status, retryAfter) =>
          resolve({
            status,
            retryAfter: retryAfter ?? null,
            error: status === null ? 'socket hang up' : null,
            timedOut: false,
            durationMs: 1,
          }),
      });
    });
  }

  /** `agent:version` of each request, in the order they were sent. */
  sent(): string[] {
    return this.calls.map((c) => `${c.body.detail.agent_id}:${c.body.detail.version}`);
  }
}

const aWebhook = (overrides: Partial<WebhookInput> = {}): WebhookInput => ({
  name: 'Router',
  description: '',
  status: 'active',
  endpoint: 'http://127.0.0.1:9/hook',
  subscriptions: AGENT_EVENT_TYPES,
  authentication: null,
  ...overrides,
});

/** Lets resolved sender promises run their continuations. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('WebhookDispatcher', () => {
  let clock: SimClock;
  let store: AccountStore;
  let registry: WebhookRegistry;
  let faults: FaultInjector;
  let sender: ScriptedSender;
  let log: WebhookDeliveryLog;
  let dispatcher: WebhookDispatcher;

  beforeEach(() => {
    clock = new SimClock();
    clock.freeze(T0);
    store = new AccountStore(clock);
    store.load(
      seedAccount({
        seed: 1,
        agentCount: 3,
        now: T0,
        accountId: 8_810_442,
        admin: SIM_DEFAULTS.admin,
        agent: SIM_DEFAULTS.agent,
      }),
    );
    registry = new WebhookRegistry(SIM_DEFAULTS, clock);
    faults = new FaultInjector(clock);
    sender = new ScriptedSender();
    log = new WebhookDeliveryLog();
    dispatcher = new WebhookDispatcher(store, registry, clock, faults, sender, log);
    dispatcher.onApplicationBootstrap();
  });

  afterEach(() => {
    dispatcher.onApplicationShutdown();
    sender.onApplicationShutdown();
    clock.onApplicationShutdown();
  });

  const workItem = (agentId: number) => store.addWorkItem(agentId, 'messaging');
  const versionOf = (agentId: number) => store.requireAgent(agentId).version;

  it("sends one agent's events one at a time in version order while other agents go in parallel", async () => {
    registry.create(aWebhook());
    const a = versionOf(AGENT_A);
    const b = versionOf(AGENT_B);
    workItem(AGENT_A);
    workItem(AGENT_A);
    workItem(AGENT_B);
    workItem(AGENT_A);
    expect(sender.sent()).toEqual([`${AGENT_A}:${a + 1}`, `${AGENT_B}:${b + 1}`]);

    sender.calls[0]!.answer(200);
    await settle();
    expect(sender.sent()).toEqual([`${AGENT_A}:${a + 1}`, `${AGENT_B}:${b + 1}`, `${AGENT_A}:${a + 2}`]);

    sender.calls[2]!.answer(500);
    await settle();
    // A failed first attempt waits for its retry; it does not hold the agent's later events back.
    expect(sender.sent().at(-1)).toBe(`${AGENT_A}:${a + 3}`);
    expect(dispatcher.pending()).toEqual({ queued: 0, inFlight: 2, awaitingRetry: 1 });
  });

  it('keeps at most max_in_flight requests open per webhook', async () => {
    registry.create(aWebhook());
    dispatcher.configure({ maxInFlight: 2 });
    for (const agentId of [AGENT_A, AGENT_B, AGENT_B + 1]) workItem(agentId);
    expect(sender.calls).toHaveLength(2);
    expect(dispatcher.pending()).toEqual({ queued: 1, inFlight: 2, awaitingRetry: 0 });
    sender.calls[1]!.answer(204);
    await settle();
    expect(sender.calls).toHaveLength(3);
  });

  it('drops the oldest waiting event when the queue is full and says so in the log', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const webhook = registry.create(aWebhook());
    dispatcher.configure({ maxInFlight: 1, queueLimit: 2 });
    const v = versionOf(AGENT_A);
    for (let i = 0; i < 4; i++) workItem(AGENT_A);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('1 event(s) dropped'));
    warn.mockRestore();
    expect(sender.sent()).toEqual([`${AGENT_A}:${v + 1}`]);
    const discarded = log.list().filter((e) => e.outcome === 'discarded');
    expect(discarded).toHaveLength(1);
    expect(discarded[0]).toMatchObject({ webhookId: webhook.id, version: v + 2, attempt: 1 });
    expect(discarded[0]!.error).toContain('queue full');

    sender.calls[0]!.answer(200);
    await settle();
    sender.calls[1]!.answer(200);
    await settle();
    expect(sender.sent()).toEqual([`${AGENT_A}:${v + 1}`, `${AGENT_A}:${v + 3}`, `${AGENT_A}:${v + 4}`]);
  });

  it('retries after 5, 30 and 120 s of simulator time, then gives up', async () => {
    registry.create(aWebhook());
    workItem(AGENT_A);
    const gaps: number[] = [];
    for (const wait of [5_000, 30_000, 120_000]) {
      sender.calls.at(-1)!.answer(503);
      await settle();
      const entry = log.list().at(-1)!;
      gaps.push(Date.parse(entry.nextRetryAt!) - clock.now());
      clock.advance(wait - 1);
      const before = sender.calls.length;
      clock.advance(1);
      expect(sender.calls).toHaveLength(before + 1);
    }
    expect(gaps).toEqual([5_000, 30_000, 120_000]);
    sender.calls.at(-1)!.answer(503);
    await settle();
    const last = log.list().at(-1)!;
    expect(last).toMatchObject({ attempt: 4, outcome: 'failed', status: 503, nextRetryAt: null });
    expect(last.error).toContain('gave up after 3 retries');
    expect(dispatcher.pending()).toEqual({ queued: 0, inFlight: 0, awaitingRetry: 0 });
    expect(new Set(sender.calls.map((c) => c.request.headers['x-zendesk-webhook-invocation-id'])).size).toBe(
      1,
    );
  });

  it.each([
    ['7', 7_000],
    ['0', 0],
    ['61', 5_000],
    ['soon', 5_000],
  ])('on a 429 with Retry-After %s waits %i ms', async (retryAfter, expected) => {
    registry.create(aWebhook());
    workItem(AGENT_A);
    sender.calls[0]!.answer(429, retryAfter);
    await settle();
    expect(Date.parse(log.list().at(-1)!.nextRetryAt!) - clock.now()).toBe(expected);
  });

  it('retries connection failures and 409, but no other 4xx', async () => {
    registry.create(aWebhook());
    for (const agentId of [AGENT_A, AGENT_B, AGENT_B + 1]) workItem(agentId);
    sender.calls[0]!.answer(null);
    sender.calls[1]!.answer(409);
    sender.calls[2]!.answer(404);
    await settle();
    expect(log.list().map((e) => [e.status, e.nextRetryAt !== null])).toEqual([
      [null, true],
      [409, true],
      [404, false],
    ]);
  });

  it('signs each attempt with the secret current at send time and a fresh timestamp', async () => {
    const webhook = registry.create(aWebhook());
    workItem(AGENT_A);
    sender.calls[0]!.answer(500);
    await settle();
    const rotated = registry.rotateSecret(webhook.id)!;
    clock.advance(5_000);
    const [first, retry] = sender.calls.map((c) => c.request);
    const verify = (request: WebhookRequest, secret: string) =>
      createHmac('sha256', secret)
        .update(request.headers['x-zendesk-webhook-signature-timestamp']!)
        .update(request.body)
        .digest('base64') === request.headers['x-zendesk-webhook-signature'];
    expect(verify(first!, webhook.signingSecret)).toBe(true);
    expect(verify(retry!, rotated.signingSecret)).toBe(true);
    expect(verify(retry!, webhook.signingSecret)).toBe(false);
    expect(retry!.body.equals(first!.body)).toBe(true);
    expect(retry!.headers['x-zendesk-webhook-signature-timestamp']).toBe('2025-03-14T09:00:05Z');
  });

  it('sends nothing to inactive webhooks or for unsubscribed types', () => {
    registry.create(aWebhook({ status: 'inactive' }));
    registry.create(aWebhook({ subscriptions: ['groups_updated'] }));
    workItem(AGENT_A);
    expect(sender.calls).toHaveLength(0);
    expect(log.list()).toHaveLength(0);
  });

  it('a drop_webhooks fault loses the attempt without sending or retrying it', () => {
    registry.create(aWebhook());
    faults.add(
      { type: 'drop_webhooks' },
      { pathPrefix: null, method: null, probability: 1, remaining: 1, until: null },
    );
    const v = versionOf(AGENT_A);
    workItem(AGENT_A);
    workItem(AGENT_A);
    expect(sender.sent()).toEqual([`${AGENT_A}:${v + 2}`]);
    expect(log.list()[0]).toMatchObject({ version: v + 1, outcome: 'dropped', nextRetryAt: null });
  });

  it('discards what a deleted webhook had waiting, and reset forgets everything', async () => {
    const webhook = registry.create(aWebhook());
    dispatcher.configure({ maxInFlight: 1 });
    workItem(AGENT_A);
    workItem(AGENT_A);
    registry.delete(webhook.id);
    dispatcher.discardPending(webhook.id, 'webhook was deleted');
    expect(dispatcher.pending()).toEqual({ queued: 0, inFlight: 1, awaitingRetry: 0 });
    expect(log.list().map((e) => e.outcome)).toEqual(['discarded']);

    dispatcher.reset();
    sender.calls[0]!.answer(200);
    await settle();
    expect(log.list()).toHaveLength(0);
    expect(dispatcher.pending()).toEqual({ queued: 0, inFlight: 0, awaitingRetry: 0 });
    expect(dispatcher.settings().maxInFlight).toBe(8);
  });
});
