import { SafetyGate, parseRuleSet, type RuleSet } from '@app/rules';
import { ZendeskClient, type UnifiedStatus } from '@app/zendesk';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { StoredDecision } from '../apps/router/src/audit/audit.store';
import { SqliteAuditStore } from '../apps/router/src/audit/sqlite/sqlite-audit.store';
import { WriteJournal } from '../apps/router/src/apply/write.journal';
import { loadRouterConfig } from '../apps/router/src/config/router.config';
import { EvaluationPass } from '../apps/router/src/pipeline/evaluation.pass';
import { AgentStateCache } from '../apps/router/src/sync/agent-state.cache';
import { AgentSyncService } from '../apps/router/src/sync/agent-sync.service';
import { eventually, startRouter, type RouterHarness } from './support/router.harness';
import { startSim, type SimHarness } from './support/sim.harness';

// The decision path (plan → safety gate → executor) end to end: what reaches Zendesk, and what
// the audit log says, when rules reload, when holds end, and in shadow mode.

const FIRST_AGENT = 360_099_100_001;
const agentsFrom = (first: number, count: number) => Array.from({ length: count }, (_, i) => first + i);
const OFFLINE = 2;
const ONLINE = 3;
const BREAK = 9002;
/** No seeded agent starts on Coaching, so a rule on it acts only on the changes a test makes. */
const COACHING = 9003;
const TIER_1 = 360_001_000_001;
const BILLING = 360_001_000_003;
const MINUTE = 60_000;
const T0 = Date.parse('2026-11-23T09:00:00Z');
const API_TOKEN = 'decision-path-api-token';
const STATUS_WRITE = /^\/api\/v2\/agent_availabilities\/agent_statuses\/agents\/(\d+)$/;

/** Coaching → away, once an hour at most; `revision` changes the file, not what the rule does. */
const coachingRules = (revision: number) => `statuses: [Coaching]
rules:
  - name: coaching-away
    description: Nobody stays on Coaching (revision ${revision})
    cooldown: 1h
    when: { fact: status.name, operator: equal, value: Coaching }
    then: { set_status: away }
`;

interface LoggedRequest {
  time: string;
  method: string;
  path: string;
  status: number | null;
}

/** The status writes that reached the simulator, in order, with the simulator clock's times. */
async function statusWrites(sim: SimHarness): Promise<Array<{ agentId: number; at: number }>> {
  const log = (await sim.control('get', '/requests?limit=10000')).body.requests as LoggedRequest[];
  return log
    .filter((r) => r.method === 'PUT' && STATUS_WRITE.test(r.path))
    .map((r) => ({ agentId: Number(STATUS_WRITE.exec(r.path)![1]), at: Date.parse(r.time) }));
}

/** Requests other than reads that reached the simulator. */
async function nonReads(sim: SimHarness): Promise<LoggedRequest[]> {
  const log = (await sim.control('get', '/requests?limit=10000')).body.requests as LoggedRequest[];
  return log.filter((r) => r.method !== 'GET');
}

/** The most of `times` that fall in any sliding window of `windowMs`. */
function peakInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

/** Which safety limit a suppressed decision's reason names (shadow reasons say the same, plus a note). */
function holdKind(reason: string | null): string {
  if (reason?.startsWith('the router is paused')) return 'paused';
  if (reason?.startsWith('a person set')) return 'human_hold';
  if (reason?.includes('status changes in the last minute')) return 'rate_limit';
  if (reason?.includes('agents online (at least')) return 'min_online';
  return `unknown: ${reason}`;
}

/** The router's API, with its token. */
function api(h: RouterHarness) {
  return {
    get: (path: string) => request(h.url).get(path).set('Authorization', `Bearer ${API_TOKEN}`),
    post: (path: string) => request(h.url).post(path).set('Authorization', `Bearer ${API_TOKEN}`),
  };
}

/** Every decision the router recorded, oldest first (the API pages newest first). */
async function allDecisions(h: RouterHarness, query = ''): Promise<StoredDecision[]> {
  const res = await api(h).get(`/api/decisions?limit=500${query}`).expect(200);
  return (res.body.decisions as StoredDecision[]).reverse();
}

/** Waits until the router runs a revision other than `previous`; returns it. */
async function reloadedFrom(h: RouterHarness, previous: string): Promise<string> {
  const revision = await eventually(
    async () => (await api(h).get('/api/rules').expect(200)).body.revision as string,
    (r) => r !== previous,
    10_000,
  );
  expect(revision).not.toBe(previous);
  return revision;
}

/**
 * An evaluation pass on its own against the simulator, at the time `now` holds, with the
 * safety settings read from `env` as the router reads its environment; a fresh audit file.
 */
async function evaluationAt(
  sim: SimHarness,
  ruleSet: RuleSet,
  env: Record<string, string>,
  now: { value: number },
) {
  const dir = mkdtempSync(join(tmpdir(), 'decision-path-'));
  const config = loadRouterConfig({ DATA_DIR: dir, ...env });
  const client = new ZendeskClient({
    baseUrl: sim.url,
    auth: { type: 'oauth', accessToken: 'sim-oauth-token' },
  });
  const statuses: UnifiedStatus[] = await client.listStatuses();
  const audit = new SqliteAuditStore(join(dir, 'audit.sqlite'));
  const journal = new WriteJournal(audit);
  await journal.load();
  const cache = new AgentStateCache();
  const pass = new EvaluationPass({
    cache,
    client,
    audit,
    journal,
    gate: new SafetyGate(config.safety, () => false),
    enforce: config.safety.enforce,
    statuses: () => statuses,
    capacityRules: () => [],
    now: () => now.value,
  });
  await pass.load();
  pass.useRules(ruleSet);
  return {
    audit,
    /** A tick at `minutes` after T0 over `agents`, each read from the simulator first, as a resync would. */
    async tickAt(minutes: number, agents: readonly number[]) {
      now.value = T0 + minutes * MINUTE;
      for (const id of agents) cache.applySnapshot(await client.getAgentAvailability(id), now.value);
      return pass.run(agents.map((id) => [id, { kind: 'tick', at: now.value }] as const));
    },
    /** Every recorded decision, oldest first. */
    async decisions(): Promise<StoredDecision[]> {
      return (await audit.decisions({ limit: 500 })).decisions.reverse();
    },
    async close() {
      client.close();
      await audit.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('rule reloads under the per-minute limit', () => {
  const LIMIT = 10;
  const ROUNDS = 5;
  const PER_ROUND = 6;
  const AGENTS = agentsFrom(FIRST_AGENT, ROUNDS * PER_ROUND);
  let h: RouterHarness;

  beforeAll(async () => {
    h = await startRouter(
      coachingRules(0),
      { ROUTER_API_TOKEN: API_TOKEN, MAX_CHANGES_PER_MIN: String(LIMIT) },
      AGENTS.length,
    );
  });
  afterAll(() => h.close());

  // The whole test runs inside one minute (its timeout says so), so the limit allows exactly
  // LIMIT writes in its lifetime: a reload that reset the gate's window, or made held decisions
  // news again, would show as more writes or more rows.
  it('sends at most the limit in any minute across five reloads, each agent once, and records the rest once', async () => {
    const sync = h.router.get(AgentSyncService);
    const revisions = [(await api(h).get('/api/rules').expect(200)).body.revision as string];
    for (let round = 0; round < ROUNDS; round++) {
      // A person puts six more agents on Coaching; their webhooks start passes while the rule
      // file is rewritten under them.
      for (const id of AGENTS.slice(round * PER_ROUND, (round + 1) * PER_ROUND))
        await h.sim.control('put', `/agents/${id}`, { status_id: COACHING });
      writeFileSync(join(h.dir, 'rules.yaml'), coachingRules(round + 1));
      revisions.push(await reloadedFrom(h, revisions.at(-1)!));
      // A tick on the new rules evaluates everyone again, held agents included.
      await sync.tick();
      const decided = await eventually(
        async () => new Set((await allDecisions(h)).map((d) => d.agentId)).size,
        (n) => n === (round + 1) * PER_ROUND,
        10_000,
      );
      expect(decided).toBe((round + 1) * PER_ROUND);
    }
    await sync.tick();

    expect(new Set(revisions).size).toBe(ROUNDS + 1);
    const writes = await statusWrites(h.sim);
    const times = writes.map((w) => w.at);
    expect(peakInWindow(times, MINUTE)).toBeLessThanOrEqual(LIMIT);
    expect(writes).toHaveLength(LIMIT);
    const written = writes.map((w) => w.agentId);
    expect(new Set(written).size).toBe(written.length);

    const decisions = await allDecisions(h);
    const applied = decisions.filter((d) => d.outcome === 'applied');
    const suppressed = decisions.filter((d) => d.outcome === 'suppressed');
    expect(decisions).toHaveLength(applied.length + suppressed.length);
    expect(applied.map((d) => d.agentId).sort()).toEqual([...written].sort());
    const held = AGENTS.filter((id) => !written.includes(id));
    expect(suppressed.map((d) => d.agentId).sort()).toEqual(held);
    const overLimit = new RegExp(
      `^safety limit: \\d+ status changes in the last minute \\(at most ${LIMIT}\\)$`,
    );
    for (const d of suppressed) expect(d.reason).toMatch(overLimit);
    // Round r was decided before round r+1 began, on revision r or r+1: rounds 0, 2 and 4 cannot share one.
    expect(new Set(decisions.map((d) => d.revision)).size).toBeGreaterThanOrEqual(3);
    // The API's view of its own filter agrees.
    const page = (await api(h).get('/api/decisions?outcome=suppressed&limit=500').expect(200)).body;
    expect(page.decisions).toHaveLength(held.length);

    for (const id of written) {
      const agent = await eventually(
        async () => (await api(h).get(`/api/agents/${id}`).expect(200)).body,
        (a) => a.facts['status.name'] === 'away',
        10_000,
      );
      expect(agent.facts).toMatchObject({ 'status.name': 'away', 'status.setBy': 'router' });
    }
    for (const id of held)
      expect((await h.sim.control('get', `/agents/${id}`)).body.agent.status.name).toBe('Coaching');
  }, 50_000);
});

describe('a held decision acts once its hold ends, its cooldown untouched', () => {
  describe('the human hold (an evaluation pass on an injected clock)', () => {
    const AGENT = FIRST_AGENT + 1;
    let sim: SimHarness;
    const RULES = parseRuleSet([{ path: 'coaching.yaml', text: coachingRules(0) }]);

    beforeAll(async () => {
      sim = await startSim({ agentCount: 3, rateLimitPerMin: 100_000 });
      await sim.freezeClock(new Date(T0).toISOString());
    });
    afterAll(() => sim.close());

    it('records one suppressed row while a person’s change is fresh, then applies at the hold’s end', async () => {
      // A person puts the agent on Coaching at T0; rules leave it alone for ten minutes.
      await sim.control('put', `/agents/${AGENT}`, { status_id: COACHING });
      const pass = await evaluationAt(sim, RULES, { HUMAN_HOLD_S: '600' }, { value: T0 });
      try {
        const [held] = await pass.tickAt(1, [AGENT]);
        expect(held).toMatchObject({ rule: 'coaching-away', outcome: 'suppressed', until: T0 + 10 * MINUTE });
        expect(held!.reason).toMatch(/^a person set Coaching 1 min ago; rules wait until /);
        expect(await pass.tickAt(5, [AGENT])).toEqual([]);
        expect(await pass.tickAt(9.9, [AGENT])).toEqual([]);
        // The first pass at the moment the hold said it ends acts: the held decision did not
        // start the rule's one-hour cooldown.
        const [applied] = await pass.tickAt(10, [AGENT]);
        expect(applied).toMatchObject({ rule: 'coaching-away', outcome: 'applied' });

        const rows = (await pass.decisions()).filter(
          (d) => d.agentId === AGENT && d.rule === 'coaching-away',
        );
        expect(rows.map((d) => [d.outcome, d.time])).toEqual([
          ['suppressed', T0 + MINUTE],
          ['applied', T0 + 10 * MINUTE],
        ]);
        expect((await statusWrites(sim)).map((w) => w.agentId)).toEqual([AGENT]);
        expect((await sim.control('get', `/agents/${AGENT}`)).body.agent.status.name).toBe('away');
      } finally {
        await pass.close();
      }
    });
  });

  describe('the pause (the assembled router)', () => {
    const AGENT = FIRST_AGENT + 1;
    let h: RouterHarness;

    beforeAll(async () => {
      h = await startRouter(coachingRules(0), { ROUTER_API_TOKEN: API_TOKEN }, 5);
    });
    afterAll(() => h.close());

    const rowsOf = async () =>
      (await allDecisions(h, `&agent_id=${AGENT}&rule=coaching-away`)).map((d) => d.outcome);

    it('records one suppressed row while paused, and applies once resumed', async () => {
      const sync = h.router.get(AgentSyncService);
      expect((await api(h).post('/api/pause').expect(200)).body).toEqual({ paused: true });
      await h.sim.control('put', `/agents/${AGENT}`, { status_id: COACHING });
      expect(await eventually(rowsOf, (rows) => rows.length > 0, 10_000)).toEqual(['suppressed']);
      // Passes while paused record nothing new.
      for (let i = 0; i < 3; i++) await sync.tick();
      expect(await rowsOf()).toEqual(['suppressed']);
      expect((await h.sim.control('get', `/agents/${AGENT}`)).body.agent.status.name).toBe('Coaching');

      expect((await api(h).post('/api/resume').expect(200)).body).toEqual({ paused: false });
      // Resuming evaluates nothing by itself; the next pass acts at once, though it comes well
      // inside the rule's one-hour cooldown: the held decision did not start it.
      await sync.tick();
      expect(await eventually(rowsOf, (rows) => rows.length > 1, 10_000)).toEqual(['suppressed', 'applied']);
      const [suppressed] = await allDecisions(h, `&agent_id=${AGENT}&outcome=suppressed`);
      expect(suppressed!.reason).toBe('the router is paused');
      expect((await statusWrites(h.sim)).map((w) => w.agentId)).toEqual([AGENT]);
      expect((await h.sim.control('get', `/agents/${AGENT}`)).body.agent.status.name).toBe('away');
    }, 20_000);
  });
});

describe('shadow mode on the enforce timeline', () => {
  // Ten agents: two online in Billing (the group minimum keeps one of them), five on Break set
  // by a person a while ago (the per-minute limit holds some back), one put on Break just before
  // the first pass (the human hold), two offline.
  const AGENTS = agentsFrom(FIRST_AGENT, 10);
  const [X, Y, ...rest] = AGENTS as [number, number, ...number[]];
  const BREAKS = rest.slice(0, 5);
  const FRESH = rest[5]!;
  const LOGGED_OUT = rest.slice(6);
  const RULES = parseRuleSet([
    {
      path: 'rules.yaml',
      text: `statuses: [Break]
rules:
  - name: no-breaks
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
  - name: billing-away
    scope: { groups: [${BILLING}] }
    when: { fact: status.name, operator: equal, value: online }
    then: { set_status: away }
`,
    },
  ]);
  const SAFETY = { HUMAN_HOLD_S: '600', MAX_CHANGES_PER_MIN: '3', MIN_ONLINE_PER_GROUP: '1' };
  /**
   * Minutes after T0: the first pass, one once the minute has passed, one with nothing due, one
   * after the hold. (No pass inside the first minute: there the group minimum's held agent is
   * also over the per-minute limit, which the gate reports first, and a held decision whose
   * reason changes is recorded again.)
   */
  const TIMELINE = [15, 16.5, 20, 24.5];
  /** More passes with nothing new: a decision already recorded is not recorded again. */
  const LATER = [26, 28, 30];

  let sim: SimHarness;
  const runs = {} as Record<
    'enforce' | 'shadow',
    { decisions: StoredDecision[]; later: number; writes: number }
  >;

  /**
   * The same account and the same script for both modes, from a fresh reset with the same seed
   * (which also clears the request log). Each pass reads every agent first, as a resync would,
   * so the enforce run sees its own writes.
   */
  async function runTimeline(enforce: 'on' | 'off') {
    await sim.control('post', '/reset', { seed: 42, agents: AGENTS.length });
    await sim.freezeClock(new Date(T0).toISOString());
    for (const id of [X, Y])
      await sim.control('put', `/agents/${id}`, { group_ids: [BILLING], status_id: ONLINE });
    for (const id of BREAKS)
      await sim.control('put', `/agents/${id}`, { group_ids: [TIER_1], status_id: BREAK });
    for (const id of [FRESH, ...LOGGED_OUT])
      await sim.control('put', `/agents/${id}`, { group_ids: [TIER_1], status_id: OFFLINE });
    // The person's change the hold protects, a minute before the first pass.
    await sim.advance(14 * MINUTE);
    await sim.control('put', `/agents/${FRESH}`, { status_id: BREAK });

    const pass = await evaluationAt(sim, RULES, { ENFORCE: enforce, ...SAFETY }, { value: T0 });
    try {
      for (const minutes of TIMELINE) await pass.tickAt(minutes, AGENTS);
      const decisions = await pass.decisions();
      for (const minutes of LATER) await pass.tickAt(minutes, AGENTS);
      return { decisions, later: (await pass.decisions()).length, writes: (await nonReads(sim)).length };
    } finally {
      await pass.close();
    }
  }

  /** One line per decision with `outcome`: when (minutes after T0), which agent, which rule, what. */
  const lines = (decisions: readonly StoredDecision[], outcome: StoredDecision['outcome']) =>
    decisions
      .filter((d) => d.outcome === outcome)
      .map((d) => `+${(d.time - T0) / MINUTE}m ${d.agentId} ${d.rule} ${JSON.stringify(d.action)}`);
  const holds = (decisions: readonly StoredDecision[]) =>
    decisions
      .filter((d) => d.outcome === 'suppressed')
      .map((d) => `+${(d.time - T0) / MINUTE}m ${d.agentId} ${d.rule} ${holdKind(d.reason)}`);

  beforeAll(async () => {
    sim = await startSim({ agentCount: AGENTS.length, rateLimitPerMin: 100_000 });
    runs.enforce = await runTimeline('on');
    runs.shadow = await runTimeline('off');
  }, 30_000);
  afterAll(() => sim.close());

  it('enforces the limits as scripted (the reference the shadow run is held to)', () => {
    const away = '{"set_status":"away"}';
    expect(lines(runs.enforce.decisions, 'applied')).toEqual([
      `+15m ${X} billing-away ${away}`,
      `+15m ${BREAKS[0]} no-breaks ${away}`,
      `+15m ${BREAKS[1]} no-breaks ${away}`,
      `+16.5m ${BREAKS[2]} no-breaks ${away}`,
      `+16.5m ${BREAKS[3]} no-breaks ${away}`,
      `+16.5m ${BREAKS[4]} no-breaks ${away}`,
      `+24.5m ${FRESH} no-breaks ${away}`,
    ]);
    expect(holds(runs.enforce.decisions)).toEqual([
      `+15m ${Y} billing-away min_online`,
      `+15m ${BREAKS[2]} no-breaks rate_limit`,
      `+15m ${BREAKS[3]} no-breaks rate_limit`,
      `+15m ${BREAKS[4]} no-breaks rate_limit`,
      `+15m ${FRESH} no-breaks human_hold`,
    ]);
    expect(runs.enforce.writes).toBe(7);
  });

  // Compared as timelines (when, agent, rule, action), which is stricter than comparing sets.
  it('records as shadow exactly what enforcement applied, when it applied it', () => {
    expect(lines(runs.shadow.decisions, 'shadow')).toEqual(lines(runs.enforce.decisions, 'applied'));
  });

  it('records the same holds, for the same agents and the same reasons', () => {
    expect(holds(runs.shadow.decisions)).toEqual(holds(runs.enforce.decisions));
    const suppressed = runs.shadow.decisions.filter((d) => d.outcome === 'suppressed');
    for (const d of suppressed) expect(d.reason).toMatch(/\(in shadow: enforcement would wait too\)$/);
  });

  it('sends nothing to Zendesk in shadow mode', () => {
    expect(runs.shadow.writes).toBe(0);
    expect(runs.shadow.decisions.filter((d) => d.outcome === 'applied')).toEqual([]);
  });

  it('records each decision once, however many passes see it', () => {
    for (const run of [runs.enforce, runs.shadow]) {
      expect(run.later).toBe(run.decisions.length);
      const keys = run.decisions.map((d) => `${d.agentId} ${d.rule} ${d.outcome}`);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });
});
