import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { AgentSyncService } from '../apps/router/src/sync/agent-sync.service';
import { eventually, startRouter, type RouterHarness } from './support/router.harness';

const TOKEN = 'capacity-surge-api-token';
const FIRST_AGENT = 360_099_100_001;
const AGENT_COUNT = 8;
/** Agents online on messaging, each with as many chats as the default rule allows. */
const LOADED = [0, 1, 2, 3].map((i) => FIRST_AGENT + i);
const CHATS_EACH = 3;
const ONLINE = 3;
const OFFLINE = 2;
const RULE = 'messaging-surge';
const PASSES = 12;
/** Generous bounds for a loaded machine: what is awaited always comes, these only stop a hang. */
const SETUP_MS = 30_000;
const WAIT_MS = 15_000;

/**
 * Messaging above 85% → five chats per agent on the default rule. Raising capacity from 3 to 5
 * takes utilization from 12/12 to 12/20, below the threshold: without `keepFor` the next pass
 * puts it back, which raises utilization above the threshold again.
 */
const SURGE = (keepFor: string | null) => `rules:
  - name: ${RULE}
${keepFor ? `    keepFor: ${keepFor}\n` : ''}    when: { fact: account.messaging.utilization, operator: greaterThan, value: 0.85 }
    then:
      set_capacity: { rule: Default capacity, capacities: { messaging: 5 } }
`;

interface Decision {
  rule: string;
  target: string;
  action: Record<string, unknown>;
  outcome: string;
  reason: string;
  facts: Record<string, unknown>;
}

interface SimAgent {
  capacity_rule_id: string;
  channels: Record<string, { status: string; work_items: Array<{ id: number }> }>;
}

interface SimCapacityRule {
  id: string;
  name: string;
  capacities: Record<string, number>;
}

/** A router on an account with no rules yet, its API, and a way to run a pass on demand. */
function routerUnderTest() {
  const env = {} as { h: RouterHarness; defaultRule: SimCapacityRule };
  beforeAll(async () => {
    // No tick or resync of its own during the test: every pass is one the test runs.
    env.h = await startRouter(
      'rules: []\n',
      { ROUTER_API_TOKEN: TOKEN, RULES_ALLOW_EMPTY: 'on' },
      AGENT_COUNT,
    );
    const rules = (await env.h.sim.get('/api/v2/capacity/rules').expect(200)).body as SimCapacityRule[];
    env.defaultRule = rules.find((r) => r.name === 'Default capacity')!;
  }, SETUP_MS);
  afterAll(() => env.h.close(), SETUP_MS);

  const api = (path: string) => request(env.h.url).get(path).set('Authorization', `Bearer ${TOKEN}`);
  const explainAccount = async () =>
    (
      await request(env.h.url)
        .post('/api/explain')
        .set('Authorization', `Bearer ${TOKEN}`)
        .send({ account: true })
        .expect(200)
    ).body as {
      targets: Array<{
        target: string;
        rules: Array<{ rule: string; matched: boolean; standing: { state: string } }>;
      }>;
    };

  /** Every webhook delivered, so the router's cache is where the simulator is. */
  const settled = async () => {
    const pending = await eventually(
      async () => (await env.h.sim.control('get', '/webhooks/pending')).body.pending as number,
      (n) => n === 0,
      WAIT_MS,
    );
    expect(pending).toBe(0);
  };

  /** One pass over every agent and the capacity rules, once the router has seen every change. */
  const pass = async () => {
    await settled();
    await env.h.router.get(AgentSyncService).tick();
    await settled();
  };

  const simAgent = async (id: number) =>
    (await env.h.sim.control('get', `/agents/${id}`)).body.agent as SimAgent;

  /** Four default-capacity agents online with three chats each; everyone else offline. */
  const putUnderLoad = async () => {
    for (let id = FIRST_AGENT; id < FIRST_AGENT + AGENT_COUNT; id++) {
      const loaded = LOADED.includes(id);
      await env.h.sim.control('put', `/agents/${id}`, { status_id: loaded ? ONLINE : OFFLINE });
      if (!loaded) continue;
      const agent = await simAgent(id);
      expect(agent.capacity_rule_id).toBe(env.defaultRule.id);
      expect(agent.channels.messaging?.status).toBe('online');
      for (const item of agent.channels.messaging!.work_items)
        await env.h.sim.control('delete', `/agents/${id}/work_items/messaging/${item.id}`);
      for (let n = 0; n < CHATS_EACH; n++)
        await env.h.sim.control('post', `/agents/${id}/work_items`, { channel: 'messaging' });
    }
  };

  /** One chat ends and a new one arrives for an agent: the load goes on, the agent changes. */
  const churn = async (id: number) => {
    const [first] = (await simAgent(id)).channels.messaging!.work_items;
    await env.h.sim.control('delete', `/agents/${id}/work_items/messaging/${first!.id}`);
    await env.h.sim.control('post', `/agents/${id}/work_items`, { channel: 'messaging' });
  };

  const capacityWrites = async () =>
    (
      (await env.h.sim.control('get', '/requests')).body.requests as Array<{
        method: string;
        path: string;
        status: number | null;
      }>
    ).filter(
      (r) =>
        (r.method === 'PUT' || r.method === 'PATCH') &&
        r.path.replace(/\.json$/, '') === `/api/v2/capacity/rules/${env.defaultRule.id}`,
    );

  const defaultCapacities = async () =>
    (
      (await env.h.sim.get(`/api/v2/capacity/rules/${env.defaultRule.id}`).expect(200))
        .body as SimCapacityRule
    ).capacities;

  /** The rule's decisions, oldest first. */
  const decisions = async () =>
    ((await api(`/api/decisions?rule=${RULE}&limit=100`).expect(200)).body.decisions as Decision[]).reverse();

  /** Drops the rule file in and waits until the router has loaded it. */
  const addRule = async (text: string) => {
    writeFileSync(join(env.h.dir, 'surge.yaml'), text);
    const names = await eventually(ruleNames, (n) => n.includes(RULE), WAIT_MS);
    expect(names).toContain(RULE);
  };
  const ruleNames = async () =>
    ((await api('/api/rules').expect(200)).body.rules as Array<{ name: string }>).map((r) => r.name);

  return {
    env,
    pass,
    putUnderLoad,
    churn,
    capacityWrites,
    defaultCapacities,
    decisions,
    addRule,
    ruleNames,
    explainAccount,
  };
}

const RAISE = { set_capacity: { rule: 'Default capacity', capacities: { messaging: 5 } } };
const REVERT = { revert: 'Default capacity' };

describe('a capacity surge rule on messaging utilization, kept with keepFor', () => {
  const t = routerUnderTest();
  let baseline: Record<string, number>;

  beforeAll(async () => {
    baseline = await t.defaultCapacities();
    expect(baseline.messaging).toBe(3);
    await t.putUnderLoad();
    await t.addRule(SURGE('1h'));
    await t.env.h.sim.control('delete', '/requests');
  }, SETUP_MS);

  it('raises capacity once and keeps it raised while the load goes on, pass after pass', async () => {
    for (let i = 0; i < PASSES; i++) {
      await t.churn(LOADED[i % LOADED.length]!);
      await t.pass();
    }

    const writes = await t.capacityWrites();
    expect(writes.map((w) => `${w.method} ${w.status}`)).toEqual(['PUT 200']);
    expect(await t.defaultCapacities()).toEqual({ ...baseline, messaging: 5 });
    const recorded = await t.decisions();
    expect(recorded.map((d) => [d.action, d.outcome])).toEqual([[RAISE, 'applied']]);
    expect(recorded[0]!.facts).toEqual({ 'account.messaging.utilization': 1 });

    // The raise took utilization below the threshold: the rule no longer matches, its change is kept.
    const [account] = (await t.explainAccount()).targets;
    expect(account).toMatchObject({
      target: 'capacity:Default capacity',
      rules: [{ rule: RULE, matched: false, standing: { state: 'kept' } }],
    });
  }, 60_000);

  it('puts the capacity rule back to its baseline at the first pass after the rule file is deleted', async () => {
    rmSync(join(t.env.h.dir, 'surge.yaml'));
    const names = await eventually(t.ruleNames, (n) => !n.includes(RULE), WAIT_MS);
    expect(names).toEqual([]);

    await t.pass();

    expect(await t.defaultCapacities()).toEqual(baseline);
    expect((await t.capacityWrites()).map((w) => `${w.method} ${w.status}`)).toEqual(['PUT 200', 'PUT 200']);
    const recorded = await t.decisions();
    expect(recorded.map((d) => [d.action, d.outcome])).toEqual([
      [RAISE, 'applied'],
      [REVERT, 'applied'],
    ]);
    const putBack = recorded[1]!;
    expect(putBack).toMatchObject({ target: 'capacity:Default capacity', rule: RULE });
    expect(putBack.reason).toBe(
      `rule ${RULE} is no longer in the rule set; Default capacity restored to ${JSON.stringify({ messaging: baseline.messaging })}`,
    );
    // No rule is left to say which facts mattered: the account's facts as the pass saw them.
    expect(putBack.facts).toMatchObject({
      'account.messaging.agentsOnline': LOADED.length,
      'account.messaging.utilization': 0.6,
    });

    // Nothing is left to put back: a further pass writes nothing.
    await t.pass();
    expect(await t.capacityWrites()).toHaveLength(2);
  }, 30_000);
});

describe('the same surge rule without keepFor', () => {
  const t = routerUnderTest();
  const FLAP_PASSES = 6;

  beforeAll(async () => {
    await t.putUnderLoad();
    await t.addRule(SURGE(null));
    await t.env.h.sim.control('delete', '/requests');
  }, SETUP_MS);

  it('flaps: raised, put back, raised again at every pass, because the raise ends its own condition', async () => {
    for (let i = 0; i < FLAP_PASSES; i++) await t.pass();

    expect(await t.capacityWrites()).toHaveLength(FLAP_PASSES);
    const recorded = await t.decisions();
    expect(recorded.map((d) => [d.action, d.outcome])).toEqual(
      Array.from({ length: FLAP_PASSES }, (_, i) => [i % 2 === 0 ? RAISE : REVERT, 'applied']),
    );
    expect(recorded.map((d) => d.facts['account.messaging.utilization'])).toEqual(
      Array.from({ length: FLAP_PASSES }, (_, i) => (i % 2 === 0 ? 1 : 0.6)),
    );
  }, 60_000);
});
