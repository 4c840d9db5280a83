import { parseRuleSet } from '@app/rules';
import { ZendeskClient, type UnifiedStatus } from '@app/zendesk';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditStore } from '../apps/router/src/audit/audit.store';
import { WriteJournal } from '../apps/router/src/pipeline/write.journal';
import { EvaluationPass } from '../apps/router/src/pipeline/evaluation.pass';
import { AgentStateCache } from '../apps/router/src/sync/agent-state.cache';
import { startSim, type SimHarness } from './support/sim.harness';

const AGENT = 360_099_100_001;
const T0 = Date.parse('2026-11-23T09:00:00Z');
const MINUTE = 60_000;
const NO_LIMITS = { humanHoldS: 0, maxChangesPerMin: 1_000, minOnlinePerGroup: 0 };

const RULES = (mode: 'enforce' | 'shadow') =>
  parseRuleSet([
    {
      path: 'idle.yaml',
      text: `rules:
  - name: messaging-idle-away
    mode: ${mode}
    for: 5m
    when:
      all:
        - { fact: status.name, operator: equal, value: online }
        - { fact: messaging.status, operator: equal, value: online }
        - { fact: idleMinutes, operator: atLeastDuration, value: 15m }
    then: { set_status: away }
`,
    },
  ]);

/** Sets agents online (as a person would) with no work at all, optionally into groups. */
async function idleOnline(sim: SimHarness, agentIds: number[], groupIds?: number[]): Promise<void> {
  for (const id of agentIds) {
    const agent = (await sim.control('get', `/agents/${id}`)).body.agent;
    await sim.control(
      'put',
      `/agents/${id}`,
      groupIds ? { status_id: 3, group_ids: groupIds } : { status_id: 3 },
    );
    const channels = agent.channels as Record<string, { work_items: Array<{ id: number }> }>;
    for (const [channel, state] of Object.entries(channels)) {
      for (const item of state.work_items)
        await sim.control('delete', `/agents/${id}/work_items/${channel}/${item.id}`);
    }
  }
}

describe('an evaluation pass against the simulator', () => {
  let sim: SimHarness;
  let client: ZendeskClient;
  let dir: string;
  let audit: AuditStore;
  let statuses: UnifiedStatus[];

  beforeAll(async () => {
    sim = await startSim({ agentCount: 5, rateLimitPerMin: 100_000 });
    client = new ZendeskClient({ baseUrl: sim.url, auth: { type: 'oauth', accessToken: 'sim-oauth-token' } });
  });
  afterAll(async () => {
    client.close();
    await sim.close();
  });
  beforeEach(async () => {
    await sim.control('post', '/reset', {});
    await sim.freezeClock(new Date(T0).toISOString());
    // The agent is online on messaging with no work at all.
    await idleOnline(sim, [AGENT]);
    statuses = await client.listStatuses();
    dir = mkdtempSync(join(tmpdir(), 'pass-'));
    audit = new AuditStore(join(dir, 'audit.sqlite'));
  });
  afterEach(() => {
    audit.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function runAt(
    pass: EvaluationPass,
    cache: AgentStateCache,
    minutes: number,
    now: { value: number },
  ) {
    now.value = T0 + minutes * MINUTE;
    cache.applySnapshot(await client.getAgentAvailability(AGENT), now.value);
    return pass.run([[AGENT, { kind: 'tick', at: now.value }]]);
  }

  it('sets an idle messaging agent away once `for` has passed, and records why', async () => {
    const cache = new AgentStateCache();
    const now = { value: T0 };
    const pass = new EvaluationPass(RULES('enforce'), () => statuses, {
      cache,
      client,
      audit,
      journal: new WriteJournal(audit),
      enforce: true,
      safety: NO_LIMITS,
      paused: () => false,
      now: () => now.value,
    });
    expect(await runAt(pass, cache, 10, now)).toEqual([]); // idle 10 minutes: no match
    expect(await runAt(pass, cache, 16, now)).toEqual([]); // matches; `for` starts
    const [decision] = await runAt(pass, cache, 21, now);
    expect(decision).toMatchObject({
      agentId: AGENT,
      rule: 'messaging-idle-away',
      outcome: 'applied',
      action: { set_status: 'away' },
    });
    expect(decision!.facts).toEqual({
      'status.name': 'online',
      'messaging.status': 'online',
      idleMinutes: 21,
    });

    const agent = await client.getAgentAvailability(AGENT);
    expect(agent.status).toMatchObject({ name: 'away', reason: 'PUBLIC_API' });
    const stored = audit.decisions({ agentId: AGENT }).decisions;
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      outcome: 'applied',
      revision: pass.ruleSet.revision,
      explanation: { kind: 'all', passed: true },
    });
  });

  it('changes nothing in shadow mode, and records what it would have done', async () => {
    const cache = new AgentStateCache();
    const now = { value: T0 };
    const pass = new EvaluationPass(RULES('shadow'), () => statuses, {
      cache,
      client,
      audit,
      journal: new WriteJournal(audit),
      enforce: true,
      safety: NO_LIMITS,
      paused: () => false,
      now: () => now.value,
    });
    await runAt(pass, cache, 16, now);
    await sim.control('delete', '/requests');
    const [decision] = await runAt(pass, cache, 21, now);
    expect(decision).toMatchObject({ outcome: 'shadow', reason: 'the rule is in shadow mode' });
    const writes = (await sim.control('get', '/requests')).body.requests.filter(
      (r: { method: string }) => r.method !== 'GET',
    );
    expect(writes).toEqual([]);
    expect((await client.getAgentAvailability(AGENT)).status?.name).toBe('online');
  });

  it('keeps `for` timers across a restart through the audit store', async () => {
    const now = { value: T0 };
    const firstCache = new AgentStateCache();
    const first = new EvaluationPass(RULES('enforce'), () => statuses, {
      cache: firstCache,
      client,
      audit,
      journal: new WriteJournal(audit),
      enforce: true,
      safety: NO_LIMITS,
      paused: () => false,
      now: () => now.value,
    });
    await runAt(first, firstCache, 16, now);
    // A new pass (as after a restart) picks the pending timer up from the store: it fires at +21m, not +26m.
    const cache = new AgentStateCache();
    const second = new EvaluationPass(RULES('enforce'), () => statuses, {
      cache,
      client,
      audit,
      journal: new WriteJournal(audit),
      enforce: true,
      safety: NO_LIMITS,
      paused: () => false,
      now: () => now.value,
    });
    const [decision] = await runAt(second, cache, 21, now);
    expect(decision).toMatchObject({ outcome: 'applied' });
  });
});

describe('safety limits in an evaluation pass', () => {
  let sim: SimHarness;
  let client: ZendeskClient;
  let dir: string;
  let audit: AuditStore;
  let statuses: UnifiedStatus[];
  const AGENTS = [0, 1, 2, 3, 4].map((i) => AGENT + i);
  const GROUP = 360_001_000_003;

  beforeAll(async () => {
    sim = await startSim({ agentCount: 5, rateLimitPerMin: 100_000 });
    client = new ZendeskClient({ baseUrl: sim.url, auth: { type: 'oauth', accessToken: 'sim-oauth-token' } });
  });
  afterAll(async () => {
    client.close();
    await sim.close();
  });
  beforeEach(async () => {
    await sim.control('post', '/reset', {});
    await sim.freezeClock(new Date(T0).toISOString());
    // Five idle agents online in one group, each set online by a person at T0.
    await idleOnline(sim, AGENTS, [GROUP]);
    statuses = await client.listStatuses();
    dir = mkdtempSync(join(tmpdir(), 'safety-'));
    audit = new AuditStore(join(dir, 'audit.sqlite'));
  });
  afterEach(() => {
    audit.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function passAt(
    pass: EvaluationPass,
    cache: AgentStateCache,
    minutes: number,
    now: { value: number },
  ) {
    now.value = T0 + minutes * MINUTE;
    for (const id of AGENTS) cache.applySnapshot(await client.getAgentAvailability(id), now.value);
    return pass.run(AGENTS.map((id) => [id, { kind: 'tick', at: now.value }] as const));
  }

  function setUp(safety: { humanHoldS: number; maxChangesPerMin: number; minOnlinePerGroup: number }) {
    const cache = new AgentStateCache();
    const now = { value: T0 };
    const pass = new EvaluationPass(RULES('enforce'), () => statuses, {
      cache,
      client,
      audit,
      journal: new WriteJournal(audit),
      enforce: true,
      safety,
      paused: () => false,
      now: () => now.value,
    });
    return { cache, now, pass };
  }

  it('leaves an agent a person just set alone for the hold, recording it once', async () => {
    const { cache, now, pass } = setUp({ humanHoldS: 1_800, maxChangesPerMin: 100, minOnlinePerGroup: 0 });
    await passAt(pass, cache, 16, now);
    const held = await passAt(pass, cache, 21, now);
    expect(held.map((d) => d.outcome)).toEqual([
      'suppressed',
      'suppressed',
      'suppressed',
      'suppressed',
      'suppressed',
    ]);
    expect(held[0]!.reason).toMatch(/^a person set online 21 min ago; rules wait until /);
    expect(await passAt(pass, cache, 25, now)).toEqual([]);
    const after = await passAt(pass, cache, 30, now);
    expect(after.map((d) => d.outcome)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
  });

  it('sends no more than the per-minute limit', async () => {
    const { cache, now, pass } = setUp({ humanHoldS: 0, maxChangesPerMin: 2, minOnlinePerGroup: 0 });
    await passAt(pass, cache, 16, now);
    const decisions = await passAt(pass, cache, 21, now);
    expect(decisions.map((d) => d.outcome)).toEqual([
      'applied',
      'applied',
      'suppressed',
      'suppressed',
      'suppressed',
    ]);
    expect(decisions[2]!.reason).toBe('safety limit: 2 status changes in the last minute (at most 2)');
    const writes = (await sim.control('get', '/requests')).body.requests.filter(
      (r: { method: string }) => r.method === 'PUT',
    );
    expect(writes).toHaveLength(2);
  });

  it('never takes a group below its minimum of agents online', async () => {
    const { cache, now, pass } = setUp({ humanHoldS: 0, maxChangesPerMin: 100, minOnlinePerGroup: 3 });
    await passAt(pass, cache, 16, now);
    const decisions = await passAt(pass, cache, 21, now);
    expect(decisions.map((d) => d.outcome)).toEqual([
      'applied',
      'applied',
      'suppressed',
      'suppressed',
      'suppressed',
    ]);
    expect(decisions[2]!.reason).toBe(`safety limit: group ${GROUP} would have 2 agents online (at least 3)`);
    const online = [];
    for (const id of AGENTS) online.push((await client.getAgentAvailability(id)).status?.name);
    expect(online.filter((s) => s === 'online')).toHaveLength(3);
  });
});

describe('capacity rules in an evaluation pass', () => {
  let sim: SimHarness;
  let client: ZendeskClient;
  let dir: string;
  let audit: AuditStore;
  const AGENTS = [0, 1, 2].map((i) => AGENT + i);
  const SURGE = parseRuleSet([
    {
      path: 'capacity.yaml',
      text: `rules:
  - name: surge
    when: { fact: account.messaging.agentsOnline, operator: greaterThanInclusive, value: 3 }
    then: { set_capacity: { rule: Default capacity, capacities: { messaging: 5 } } }
`,
    },
  ]);

  beforeAll(async () => {
    sim = await startSim({ agentCount: 3, rateLimitPerMin: 100_000 });
    client = new ZendeskClient({ baseUrl: sim.url, auth: { type: 'oauth', accessToken: 'sim-oauth-token' } });
  });
  afterAll(async () => {
    client.close();
    await sim.close();
  });
  beforeEach(async () => {
    await sim.control('post', '/reset', { agents: 3 });
    dir = mkdtempSync(join(tmpdir(), 'capacity-'));
    audit = new AuditStore(join(dir, 'audit.sqlite'));
  });
  afterEach(() => {
    audit.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function refresh(cache: AgentStateCache) {
    for (const id of AGENTS) cache.applySnapshot(await client.getAgentAvailability(id), Date.now());
  }
  const defaultRule = async () =>
    (await client.listCapacityRules()).find((r) => r.name === 'Default capacity')!;

  it('raises capacity while the condition holds and restores the recorded baseline after', async () => {
    const cache = new AgentStateCache();
    let rules = await client.listCapacityRules();
    const pass = new EvaluationPass(SURGE, () => [], {
      cache,
      client,
      audit,
      journal: new WriteJournal(audit),
      enforce: true,
      safety: NO_LIMITS,
      paused: () => false,
      now: Date.now,
      onCapacityRuleChanged: (rule) => (rules = [...rules.filter((r) => r.id !== rule.id), rule]),
    });
    const baseline = (await defaultRule()).capacities;
    await idleOnline(sim, AGENTS);
    await refresh(cache);

    const [raised] = await pass.runAccount(rules, { kind: 'tick', at: Date.now() });
    expect(raised).toMatchObject({ target: 'capacity:Default capacity', rule: 'surge', outcome: 'applied' });
    expect((await defaultRule()).capacities).toEqual({ ...baseline, messaging: 5 });
    expect(audit.state('baselines')).toEqual({ 'Default capacity': { messaging: baseline.messaging } });
    // Still holding: nothing new to do or record.
    expect(await pass.runAccount(rules, { kind: 'tick', at: Date.now() })).toEqual([]);

    await sim.control('put', `/agents/${AGENTS[0]}`, { status_id: 2 });
    await refresh(cache);
    const [restored] = await pass.runAccount(rules, { kind: 'tick', at: Date.now() });
    expect(restored).toMatchObject({
      rule: 'surge',
      outcome: 'applied',
      reason: 'Default capacity restored to its baseline',
    });
    expect((await defaultRule()).capacities).toEqual(baseline);
    expect(audit.state('baselines')).toEqual({});
  });
});
