import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { AgentSyncService } from '../apps/router/src/sync/agent-sync.service';
import { eventually, startRouter, type RouterHarness } from './support/router.harness';

const TOKEN = 'rule-stats-e2e-token';
const FIRST_AGENT = 360_099_100_001;
const CHANGED = FIRST_AGENT;
const PAUSED = FIRST_AGENT + 1;
const ON_BREAK = FIRST_AGENT + 2;
const BREAK = 9002;
const TRANSFERS_ONLY = 5;
const ONLINE = 3;
const OFFLINE = 2;
const OUTCOMES = ['applied', 'shadow', 'no_op', 'suppressed', 'failed'] as const;
/** Generous bounds for a loaded machine: what is awaited always comes, these only stop a hang. */
const SETUP_MS = 30_000;
const WAIT_MS = 15_000;

const RULES = `statuses: [Break]
rules:
  - name: no-transfers-only
    priority: 2
    scope: { exclude: { groups: [999] } }
    when: { fact: status.name, operator: equal, value: transfers_only }
    then: { set_status: online }
  - name: watch-transfers
    mode: shadow
    when: { fact: status.name, operator: equal, value: transfers_only }
    then: { set_status: away }
  - name: long-break
    priority: 1
    for: 1h
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
`;

interface Decision {
  id: number;
  time: number;
  rule: string;
  outcome: string;
}

interface RuleStats {
  name: string;
  kind: string;
  mode: string;
  enabled: boolean;
  priority: number;
  scope: Record<string, number[]>;
  hits: { lastHour: Record<string, number>; lastDay: Record<string, number> };
  lastFired: string | null;
  pending: { targets: number; oldestSince: string | null };
  holds: { targets: number; kept: number; oldestSince: string | null };
}

interface Stats {
  at: string;
  revision: string;
  timeZone: string;
  loadedAt: string;
  rules: RuleStats[];
  rejectedChange: null | {
    at: string | null;
    problems: Array<{ file: string; line: number; column: number; message: string; position: string }>;
  };
}

describe('GET /api/rules/stats', () => {
  let h: RouterHarness;
  let startedAt: number;
  const api = (path: string) => request(h.url).get(path).set('Authorization', `Bearer ${TOKEN}`);
  const stats = async () => (await api('/api/rules/stats').expect(200)).body as Stats;
  const ruleStats = async (name: string) => (await stats()).rules.find((r) => r.name === name)!;
  /** Every decision of a rule, from the decisions API (at most 500: this test makes a handful). */
  const decisionsOf = async (rule: string) =>
    (await api(`/api/decisions?rule=${rule}&limit=500`).expect(200)).body.decisions as Decision[];
  const settled = async () => {
    const pending = await eventually(
      async () => (await h.sim.control('get', '/webhooks/pending')).body.pending as number,
      (n) => n === 0,
      WAIT_MS,
    );
    expect(pending).toBe(0);
  };

  beforeAll(async () => {
    startedAt = Date.now();
    h = await startRouter(RULES, { ROUTER_API_TOKEN: TOKEN }, 6);
  }, SETUP_MS);
  afterAll(() => h.close(), SETUP_MS);

  it('lists every rule of the live set with its mode, priority, scope, revision and load time', async () => {
    const body = await stats();
    const rules = (await api('/api/rules').expect(200)).body as { revision: string };
    expect(body.revision).toBe(rules.revision);
    expect(Date.parse(body.loadedAt)).toBeGreaterThanOrEqual(startedAt);
    expect(Date.parse(body.loadedAt)).toBeLessThanOrEqual(Date.parse(body.at));
    expect(body.rejectedChange).toBeNull();
    expect(body.rules.map((r) => [r.name, r.mode, r.priority])).toEqual([
      ['no-transfers-only', 'enforce', 2],
      ['watch-transfers', 'shadow', 0],
      ['long-break', 'enforce', 1],
    ]);
    expect(body.rules[0]!.scope).toEqual({ groups: [], agents: [], excludeGroups: [999], excludeAgents: [] });
    const only = (await api('/api/rules/stats?rule=long-break').expect(200)).body as Stats;
    expect(only.rules.map((r) => r.name)).toEqual(['long-break']);
  });

  it('counts decisions made by a rule by outcome, and says when it last fired', async () => {
    await h.sim.control('put', `/agents/${CHANGED}`, { status_id: TRANSFERS_ONLY });
    await eventually(
      () => decisionsOf('no-transfers-only'),
      (d) => d.some((x) => x.outcome === 'applied'),
      WAIT_MS,
    );
    await h.router.get(AgentSyncService).tick();
    await request(h.url).post('/api/pause').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    try {
      await h.sim.control('put', `/agents/${PAUSED}`, { status_id: TRANSFERS_ONLY });
      await eventually(
        () => decisionsOf('no-transfers-only'),
        (d) => d.some((x) => x.outcome === 'suppressed'),
        WAIT_MS,
      );
    } finally {
      await request(h.url).post('/api/resume').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    }
    await settled();

    const body = await stats();
    for (const name of ['no-transfers-only', 'watch-transfers']) {
      const recorded = await decisionsOf(name);
      const rule = body.rules.find((r) => r.name === name)!;
      const byOutcome = Object.fromEntries(
        OUTCOMES.map((o) => [o, recorded.filter((d) => d.outcome === o).length]),
      );
      expect(rule.hits.lastHour).toEqual(byOutcome);
      expect(rule.hits.lastDay).toEqual(byOutcome);
      const fired = recorded.filter((d) => d.outcome === 'applied' || d.outcome === 'shadow');
      expect(rule.lastFired).toBe(new Date(Math.max(...fired.map((d) => d.time))).toISOString());
    }
    const enforced = body.rules.find((r) => r.name === 'no-transfers-only')!;
    expect(enforced.hits.lastHour.applied).toBeGreaterThanOrEqual(1);
    expect(enforced.hits.lastHour.suppressed).toBeGreaterThanOrEqual(1);
    const shadow = body.rules.find((r) => r.name === 'watch-transfers')!;
    expect(shadow.hits.lastHour.shadow).toBeGreaterThanOrEqual(1);
    expect(shadow.hits.lastHour.applied).toBe(0);
    // The rule that never fired has nothing counted.
    const idle = body.rules.find((r) => r.name === 'long-break')!;
    expect(idle.lastFired).toBeNull();
    expect(Object.values(idle.hits.lastDay).every((n) => n === 0)).toBe(true);
  }, 60_000);

  it('shows a pending `for` timer: how many targets, and since when', async () => {
    expect((await ruleStats('long-break')).pending).toEqual({ targets: 0, oldestSince: null });
    await h.sim.control('put', `/agents/${ON_BREAK}`, { status_id: BREAK });
    const pending = await eventually(
      async () => (await ruleStats('long-break')).pending,
      (p) => p.targets === 1,
      WAIT_MS,
    );
    const agent = (await api(`/api/agents/${ON_BREAK}`).expect(200)).body as {
      rules: Array<{ rule: string; standing: { state: string; since: number } }>;
    };
    const standing = agent.rules.find((r) => r.rule === 'long-break')!.standing;
    expect(standing.state).toBe('pending');
    expect(pending).toEqual({ targets: 1, oldestSince: new Date(standing.since).toISOString() });
    // Back online: the timer is gone.
    await h.sim.control('put', `/agents/${ON_BREAK}`, { status_id: ONLINE });
    const after = await eventually(
      async () => (await ruleStats('long-break')).pending,
      (p) => p.targets === 0,
      WAIT_MS,
    );
    expect(after).toEqual({ targets: 0, oldestSince: null });
  }, 30_000);

  it('shows a rejected change with its file:line:column problems; the live set stays', async () => {
    const before = await stats();
    writeFileSync(
      join(h.dir, 'broken.yaml'),
      'rules:\n  - name: broken\n    when: { fact: status.nmae, operator: equal, value: Break }\n    then: { set_status: away }\n',
    );
    const body = await eventually(stats, (s) => s.rejectedChange !== null, WAIT_MS);
    expect(body.revision).toBe(before.revision);
    expect(body.loadedAt).toBe(before.loadedAt);
    expect(body.rules.map((r) => r.name)).toEqual(before.rules.map((r) => r.name));
    const rejected = body.rejectedChange!;
    expect(Date.parse(rejected.at!)).toBeGreaterThanOrEqual(Date.parse(before.at));
    expect(rejected.problems.length).toBeGreaterThanOrEqual(1);
    const problem = rejected.problems.find((p) => p.file.endsWith('broken.yaml'))!;
    expect(problem.line).toBe(3);
    expect(problem.column).toBeGreaterThan(1);
    expect(problem.message).toContain('status.nmae');
    expect(problem.position).toBe(`${problem.file}:3:${problem.column}: ${problem.message}`);

    // Once fixed, the new set is live: a new revision, a later load time, no rejected change.
    writeFileSync(
      join(h.dir, 'broken.yaml'),
      'rules:\n  - name: broken\n    when: { fact: status.name, operator: equal, value: Break }\n    then: { set_status: away }\n',
    );
    const fixed = await eventually(stats, (s) => s.rules.some((r) => r.name === 'broken'), WAIT_MS);
    expect(fixed.rejectedChange).toBeNull();
    expect(fixed.revision).not.toBe(before.revision);
    expect(Date.parse(fixed.loadedAt)).toBeGreaterThanOrEqual(Date.parse(rejected.at!));
    rmSync(join(h.dir, 'broken.yaml'));
    await eventually(stats, (s) => !s.rules.some((r) => r.name === 'broken'), WAIT_MS);
  }, 30_000);

  it('refuses bad query parameters with a 400 naming the parameter, and an unknown rule with a 404', async () => {
    const unknown = await api('/api/rules/stats?since=1h').expect(400);
    expect(unknown.body.message).toContain('since');
    const long = await api(`/api/rules/stats?rule=${'x'.repeat(300)}`).expect(400);
    expect(long.body.message).toMatch(/^rule must be a rule name/);
    const missing = await api('/api/rules/stats?rule=no-such-rule').expect(404);
    expect(missing.body.message).toBe('rule "no-such-rule" is not in the live rule set');
    const changed = await api('/api/capacity-rules?changed=maybe').expect(400);
    expect(changed.body.message).toBe('changed must be true or false');
    await request(h.url).get('/api/rules/stats').expect(401);
    await request(h.url).get('/api/capacity-rules').expect(401);
  });

  it('documents both endpoints and their parameters in OpenAPI', async () => {
    const spec = (await request(h.url).get('/docs-json').expect(200)).body as {
      paths: Record<string, { get?: { parameters: Array<{ name: string; in: string }> } }>;
    };
    const params = (path: string) => spec.paths[path]?.get?.parameters.map((p) => `${p.in}:${p.name}`);
    expect(params('/api/rules/stats')).toEqual(['query:rule']);
    expect(params('/api/capacity-rules')).toEqual(['query:changed']);
  });
});

const SURGE_RULE = 'messaging-surge';
const SURGE = `rules:
  - name: ${SURGE_RULE}
    keepFor: 1h
    when: { fact: account.messaging.utilization, operator: greaterThan, value: 0.85 }
    then:
      set_capacity: { rule: Default capacity, capacities: { messaging: 5 } }
`;

interface CapacityRuleJson {
  id: string;
  name: string;
  capacities: Record<string, number>;
  changedByRouter: null | { baseline: Record<string, number>; rule: string | null; since: string | null };
}

describe('GET /api/capacity-rules during a capacity surge', () => {
  let h: RouterHarness;
  const AGENTS = 8;
  const LOADED = [0, 1, 2, 3].map((i) => FIRST_AGENT + i);
  const api = (path: string) => request(h.url).get(path).set('Authorization', `Bearer ${TOKEN}`);
  const capacityRules = async (query = '') =>
    ((await api(`/api/capacity-rules${query}`).expect(200)).body as { capacityRules: CapacityRuleJson[] })
      .capacityRules;
  const pass = async () => {
    const settled = () =>
      eventually(
        async () => (await h.sim.control('get', '/webhooks/pending')).body.pending as number,
        (n) => n === 0,
        WAIT_MS,
      );
    expect(await settled()).toBe(0);
    await h.router.get(AgentSyncService).tick();
    expect(await settled()).toBe(0);
  };

  beforeAll(async () => {
    h = await startRouter(SURGE, { ROUTER_API_TOKEN: TOKEN }, AGENTS);
  }, SETUP_MS);
  afterAll(() => h.close(), SETUP_MS);

  it('shows each capacity rule as read from Zendesk, none changed before the surge', async () => {
    const fromSim = (await h.sim.get('/api/v2/capacity/rules').expect(200)).body as Array<{
      id: string;
      name: string;
      capacities: Record<string, number>;
    }>;
    const listed = await capacityRules();
    expect(listed.map((r) => [r.id, r.name, r.capacities]).sort()).toEqual(
      fromSim.map((r) => [r.id, r.name, r.capacities]).sort(),
    );
    expect(listed.every((r) => r.changedByRouter === null)).toBe(true);
    expect(await capacityRules('?changed=true')).toEqual([]);
  });

  it('shows the raised capacity next to the baseline it goes back to, and the rule that raised it', async () => {
    const before = (await capacityRules()).find((r) => r.name === 'Default capacity')!;
    expect(before.capacities.messaging).toBe(3);
    // Four agents online with three chats each (all the default rule allows), everyone else offline.
    for (let id = FIRST_AGENT; id < FIRST_AGENT + AGENTS; id++) {
      const loaded = LOADED.includes(id);
      await h.sim.control('put', `/agents/${id}`, { status_id: loaded ? ONLINE : OFFLINE });
      if (!loaded) continue;
      const agent = (await h.sim.control('get', `/agents/${id}`)).body.agent as {
        channels: Record<string, { work_items: Array<{ id: number }> }>;
      };
      for (const item of agent.channels.messaging!.work_items)
        await h.sim.control('delete', `/agents/${id}/work_items/messaging/${item.id}`);
      for (let n = 0; n < 3; n++)
        await h.sim.control('post', `/agents/${id}/work_items`, { channel: 'messaging' });
    }
    await pass();

    const applied = (
      (await api(`/api/decisions?rule=${SURGE_RULE}&outcome=applied`).expect(200)).body
        .decisions as Decision[]
    ).at(-1)!;
    expect(applied).toBeDefined();
    const listed = await capacityRules();
    const raised = listed.find((r) => r.name === 'Default capacity')!;
    expect(raised.capacities).toEqual({ ...before.capacities, messaging: 5 });
    expect(raised.changedByRouter).toEqual({
      baseline: { messaging: 3 },
      rule: SURGE_RULE,
      since: expect.any(String),
    });
    // The change dates from the pass that decided it: not after its decision was recorded.
    const since = Date.parse(raised.changedByRouter!.since!);
    expect(since).toBeLessThanOrEqual(applied.time);
    expect(since).toBeGreaterThan(applied.time - WAIT_MS);
    expect(listed.filter((r) => r.name !== 'Default capacity').every((r) => r.changedByRouter === null)).toBe(
      true,
    );
    expect((await capacityRules('?changed=true')).map((r) => r.name)).toEqual(['Default capacity']);
    expect((await capacityRules('?changed=false')).map((r) => r.name)).not.toContain('Default capacity');

    // The rule's statistics show the change it holds in force: held while the rule matches, then
    // only kept (by keepFor) once the raise has taken utilization below the threshold.
    const holds = async () =>
      ((await api(`/api/rules/stats?rule=${SURGE_RULE}`).expect(200)).body as Stats).rules[0]!.holds;
    expect(await holds()).toEqual({ targets: 1, kept: 0, oldestSince: raised.changedByRouter!.since });
    await pass();
    expect(await holds()).toEqual({ targets: 1, kept: 1, oldestSince: raised.changedByRouter!.since });
    const stats = (await api(`/api/rules/stats?rule=${SURGE_RULE}`).expect(200)).body as Stats;
    expect(stats.rules[0]!.hits.lastHour.applied).toBe(1);
  }, 60_000);
});
