import { zendeskWebhookSignature } from '@app/zendesk';
import request from 'supertest';
import { AUTH } from './support/sim.harness';
import { WEBHOOK_SECRET, eventually, startRouter, type RouterHarness } from './support/router.harness';

const FIRST_AGENT = 360_099_100_001;
const API_TOKEN = 'intake-and-budget-e2e-token';
const RULES = `statuses: [Break]
rules:
  - name: no-breaks
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
`;

jest.setTimeout(60_000);

interface LoggedRequest {
  method: string;
  path: string;
  status: number | null;
  identity: string | null;
}

async function requestLog(h: RouterHarness): Promise<LoggedRequest[]> {
  return (await h.sim.control('get', '/requests')).body.requests as LoggedRequest[];
}

/** The value of one sample in the router's `/metrics` (labels as written there), or null. */
async function metric(h: RouterHarness, sample: string): Promise<number | null> {
  const text = (await request(h.url).get('/metrics').expect(200)).text;
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? null : Number(line.slice(sample.length + 1));
}

async function health(h: RouterHarness) {
  return (await request(h.url).get('/health')).body as {
    status: string;
    details: Record<string, { status: string } & Record<string, unknown>>;
  };
}

/** An agent event envelope (section 11.3), signed now with `secret` as Zendesk would. */
function signedEvent(agentId: number, version: number, id: string, secret = WEBHOOK_SECRET) {
  const body = JSON.stringify({
    account_id: 8810442,
    detail: { account_id: '8810442', agent_id: String(agentId), version: String(version) },
    event: { channel: 'messaging', previous_state: 'offline', new_state: 'online' },
    id,
    subject: `zen:agent:${agentId}`,
    time: new Date().toISOString(),
    type: 'zen:event-type:agent.state_changed',
    zendesk_event_version: '2022-11-06',
  });
  const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    body,
    headers: {
      'Content-Type': 'application/json',
      'X-Zendesk-Webhook-Signature-Timestamp': timestamp,
      'X-Zendesk-Webhook-Signature': zendeskWebhookSignature(secret, timestamp, Buffer.from(body)),
    },
  };
}

async function deliver(h: RouterHarness, event: ReturnType<typeof signedEvent>): Promise<number> {
  const res = await request(h.url).post('/webhooks/zendesk').set(event.headers).send(event.body);
  return res.status;
}

async function routerVersion(h: RouterHarness, agentId: number): Promise<number | null> {
  const res = await request(h.url).get(`/api/agents/${agentId}`).set('Authorization', `Bearer ${API_TOKEN}`);
  return res.status === 200 ? (res.body.agent.version as number) : null;
}

async function simAgent(
  h: RouterHarness,
  agentId: number,
): Promise<{ version: number; group_ids: number[] }> {
  return (await h.sim.control('get', `/agents/${agentId}`)).body.agent;
}

/** Changes an agent's groups in Zendesk: out of them all, then back (one version each). */
async function toggleGroups(h: RouterHarness, agentId: number, times: number): Promise<void> {
  const { group_ids: groups } = await simAgent(h, agentId);
  for (let i = 0; i < times; i++)
    await h.sim.control('put', `/agents/${agentId}`, { group_ids: i % 2 === 0 ? [] : groups });
}

describe('targeted reads', () => {
  let h: RouterHarness;
  beforeAll(async () => {
    h = await startRouter(RULES, { ROUTER_API_TOKEN: API_TOKEN }, 5);
  });
  afterAll(() => h.close());

  it('400 signed events past a version gap for one agent cost one read', async () => {
    const known = (await routerVersion(h, FIRST_AGENT))!;
    // The agent changes 401 times in Zendesk while its webhooks are lost.
    await h.sim.control('post', '/faults', { type: 'drop_webhooks' });
    await toggleGroups(h, FIRST_AGENT, 401);
    await h.sim.control('delete', '/faults');
    const latest = (await simAgent(h, FIRST_AGENT)).version;
    expect(latest).toBe(known + 401);
    // The read is slow, so the later events arrive while it is in flight.
    await h.sim.control('post', '/faults', {
      type: 'latency',
      ms: 1_500,
      path_prefix: `/api/v2/agent_availabilities/${FIRST_AGENT}`,
      method: 'GET',
      count: 1,
    });
    await h.sim.control('delete', '/requests');

    // Then 400 of its events arrive, the first one after the missing version known + 1.
    const statuses: number[] = [];
    for (let batch = 0; batch < 8; batch++) {
      const sent = Array.from({ length: 50 }, (_, i) => {
        const version = known + 2 + batch * 50 + i;
        return deliver(h, signedEvent(FIRST_AGENT, version, `gap-${version}`));
      });
      statuses.push(...(await Promise.all(sent)));
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(400);

    await eventually(
      () => routerVersion(h, FIRST_AGENT),
      (v) => v === latest,
      10_000,
    );
    expect(await routerVersion(h, FIRST_AGENT)).toBe(latest);
    const reads = (await requestLog(h)).filter(
      (r) => r.method === 'GET' && r.path === `/api/v2/agent_availabilities/${FIRST_AGENT}`,
    );
    expect(reads).toHaveLength(1);
    expect(await metric(h, 'router_targeted_reads_total{outcome="applied"}')).toBe(1);
    expect(await metric(h, 'router_targeted_reads_pending')).toBe(0);
    expect(await metric(h, 'router_targeted_read_waiting_events')).toBe(0);
    // Every event that came in while the read was in flight waited for it rather than reading.
    const waited = (await metric(h, 'router_targeted_read_events_total{outcome="waited"}')) ?? 0;
    expect(waited).toBeGreaterThan(0);
    expect(waited).toBeLessThanOrEqual(399);
  });
});

describe('rejected webhooks', () => {
  let h: RouterHarness;
  beforeAll(async () => {
    h = await startRouter(RULES, { ROUTER_API_TOKEN: API_TOKEN }, 5);
  });
  afterAll(() => h.close());

  it('a signing-secret rotation the router does not know makes /health degraded with the count', async () => {
    expect((await health(h)).details.webhooks).toMatchObject({ status: 'up', rejected: 0 });
    const webhooks = (await h.sim.get('/api/v2/webhooks').expect(200)).body.webhooks as { id: string }[];
    expect(webhooks).toHaveLength(1);
    await h.sim
      .http()
      .post(`/api/v2/webhooks/${webhooks[0]!.id}/signing_secret`)
      .set('Authorization', AUTH.admin)
      .expect(201);

    // Agents change; Zendesk signs each delivery with the new secret, and does not retry a 401.
    for (let i = 0; i < 4; i++) await toggleGroups(h, FIRST_AGENT + i, 2);
    const degraded = await eventually(
      () => health(h),
      (body) => body.details.webhooks?.status === 'degraded' && body.details.webhooks.rejected === 8,
    );
    expect(degraded.status).toBe('degraded');
    expect(degraded.details.webhooks).toMatchObject({
      status: 'degraded',
      recent: 8,
      rejected: 8,
      rejectedByReason: { bad_signature: 8 },
      rejectedTotal: 8,
      lastRejection: { cause: 'bad_signature' },
    });
    expect(await metric(h, 'router_webhooks_rejected_total{reason="bad_signature"}')).toBe(8);
    // Zendesk's side: every delivery answered 401, and none retried.
    const deliveries = (await h.sim.control('get', '/webhooks/deliveries')).body.deliveries as {
      status: number | null;
    }[];
    expect(deliveries.map((d) => d.status)).toEqual(Array(8).fill(401));
  });

  it("a skewed clock shows in /health and /metrics from Zendesk's Date header", async () => {
    expect((await health(h)).details.clock).toMatchObject({ status: 'up', maxSkewS: 300 });
    // Zendesk's clock runs ten minutes ahead of this host's.
    await h.sim.freezeClock(new Date(Date.now() + 10 * 60_000).toISOString());
    // An event for an agent the router has not seen at this version asks for a read, whose answer
    // carries Zendesk's Date.
    const known = (await routerVersion(h, FIRST_AGENT + 1))!;
    expect(await deliver(h, signedEvent(FIRST_AGENT + 1, known + 5, 'skew-probe'))).toBe(200);
    const skewed = await eventually(
      () => health(h),
      (body) => body.details.clock?.status === 'degraded',
    );
    expect(skewed.status).toBe('degraded');
    expect(skewed.details.clock!.offsetS).toBeGreaterThanOrEqual(598);
    expect(skewed.details.clock!.offsetS).toBeLessThanOrEqual(602);
    expect(await metric(h, 'router_zendesk_clock_skewed')).toBe(1);
    expect(await metric(h, 'router_zendesk_clock_offset_seconds')).toBeGreaterThan(590);
  });
});

describe('a budget shared with other integrations', () => {
  let h: RouterHarness;
  const AGENTS = Array.from({ length: 20 }, (_, i) => FIRST_AGENT + i);
  beforeAll(async () => {
    // A short budget window, so that the router's word from Zendesk ages out within the test.
    h = await startRouter(RULES, { ROUTER_API_TOKEN: API_TOKEN }, AGENTS.length, { budgetWindowMs: 15_000 });
  });
  afterAll(() => h.close());

  it('slows down when X-Rate-Limit-Remaining runs low, before any 429', async () => {
    const versions = await Promise.all(AGENTS.map((id) => routerVersion(h, id)));
    // Zendesk's window stands still; the account allows 60 requests a minute.
    await h.sim.freezeClock(new Date().toISOString());
    await h.sim.control('put', '/rate_limit', { per_min: 60 });
    // Another integration of the customer uses the account until 14 requests are left.
    let remaining = Infinity;
    while (remaining > 14) {
      const res = await h.sim.get('/api/v2/agent_availabilities/agent_statuses').expect(200);
      remaining = Number(res.headers['x-rate-limit-remaining']);
    }
    await h.sim.control('delete', '/requests');

    // Twenty agents each need a targeted read. The first read's answer tells the router how
    // little the account has left; the other nineteen come after it.
    expect(await deliver(h, signedEvent(AGENTS[0]!, versions[0]! + 5, `shared-${AGENTS[0]}`))).toBe(200);
    await eventually(
      () => metric(h, 'router_zendesk_account_remaining'),
      (left) => left === 13,
    );
    for (const [i, id] of AGENTS.entries())
      if (i > 0) expect(await deliver(h, signedEvent(id, versions[i]! + 5, `shared-${id}`))).toBe(200);

    // The router reads until the reserve (10% of 60) is left, then holds the rest back.
    await eventually(
      () => metric(h, 'router_zendesk_account_remaining'),
      (left) => left === 6,
      10_000,
    );
    const held = await eventually(
      () => health(h),
      (body) => (body.details.zendesk?.queuedBy as { read: number } | undefined)?.read === 12,
    );
    expect(held.details.zendesk).toMatchObject({ accountRemaining: 6, queuedBy: { read: 12 } });
    expect((await metric(h, 'router_zendesk_account_holds_total'))!).toBeGreaterThanOrEqual(1);
    expect(await metric(h, 'router_zendesk_queued_requests_by_priority{priority="read"}')).toBe(12);
    const before = await requestLog(h);
    expect(before.filter((r) => r.status === 429)).toEqual([]);
    expect(before).toHaveLength(8);
    expect((await h.sim.control('get', '/state')).body.rate_limit.used_in_window).toBe(54);

    // Zendesk's window moves on; after its own window the router probes, then reads the rest.
    await h.sim.advance(61_000);
    await eventually(
      () => metric(h, 'router_targeted_reads_pending'),
      (pending) => pending === 0,
      30_000,
    );
    const after = await requestLog(h);
    expect(after.filter((r) => r.status === 429)).toEqual([]);
    const read = new Set(after.map((r) => r.path));
    expect(AGENTS.filter((id) => !read.has(`/api/v2/agent_availabilities/${id}`))).toEqual([]);
  });
});
