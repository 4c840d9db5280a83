import { SafetyGate, parseRuleSet, runScenario, type SafetyLimits } from '@app/rules';
import { ZendeskClient, type CapacityRule } from '@app/zendesk';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { WriteJournal } from '../apps/router/src/apply/write.journal';
import type { StoredDecision } from '../apps/router/src/audit/audit.store';
import { SqliteAuditStore } from '../apps/router/src/audit/sqlite/sqlite-audit.store';
import { EvaluationPass } from '../apps/router/src/pipeline/evaluation.pass';
import { AgentStateCache } from '../apps/router/src/sync/agent-state.cache';
import { startSim, type SimHarness } from './support/sim.harness';

const T0 = Date.parse('2026-11-23T09:00:00Z');
const MINUTE = 60_000;
const END = 60;
const SAFETY: SafetyLimits = { humanHoldS: 0, maxChangesPerMin: 60, minOnlinePerGroup: 0 };

/**
 * sam, lee and ana are on the default capacity rule. kim is on Senior agents: raising the default
 * rule changes the max capacity (and so the version) of each of its agents in Zendesk, which the
 * scenario's paper world does not model, and kim's shadow decisions are recorded again only when
 * kim changes.
 */
const AGENTS = {
  sam: 360_099_100_001,
  lee: 360_099_100_002,
  ana: 360_099_100_003,
  kim: 360_099_100_007,
} as const;
type Name = keyof typeof AGENTS;
const NAMES = Object.keys(AGENTS) as Name[];
const NAME_OF = new Map(NAMES.map((n) => [`agent:${AGENTS[n]}`, n]));

type Status = 'online' | 'away' | 'offline' | 'transfers_only';
const STATUS_ID: Record<Status, number> = { offline: 2, online: 3, away: 4, transfers_only: 5 };
/** Each status' messaging status, as the account maps them. */
const MESSAGING: Record<Status, string> = {
  offline: 'offline',
  online: 'online',
  away: 'away',
  transfers_only: 'transfers_only',
};

const RULES = parseRuleSet([
  {
    path: 'parity.yaml',
    text: `rules:
  - name: idle-away
    for: 5m
    cooldown: 30m
    scope: { agents: [${AGENTS.sam}] }
    when:
      all:
        - { fact: status.name, operator: equal, value: online }
        - { fact: messaging.status, operator: equal, value: online }
        - { fact: idleMinutes, operator: atLeastDuration, value: 10m }
    then: { set_status: away }
  - name: busy-transfers-only
    mode: shadow
    for: 2m
    cooldown: 10m
    scope: { agents: [${AGENTS.kim}] }
    when: { fact: messaging.workItems, operator: greaterThanInclusive, value: 2 }
    then: { set_status: transfers_only }
  - name: chat-surge
    keepFor: 10m
    when: { fact: account.messaging.workItems, operator: greaterThanInclusive, value: 5 }
    then:
      set_capacity: { rule: Default capacity, capacities: { messaging: 5 } }
`,
  },
]);

/**
 * What people and customers do, minute by minute: a status a person sets, the chats an agent
 * has from then on. Everything else (the router's own changes, time passing) follows from it.
 */
const TIMELINE: ReadonlyArray<{ at: number; agent: Name; status?: Status; chats?: number }> = [
  ...NAMES.map((agent) => ({ at: 0, agent, status: 'online' as const, chats: 0 })),
  { at: 5, agent: 'kim', chats: 2 },
  { at: 12, agent: 'kim', chats: 3 },
  { at: 20, agent: 'sam', status: 'online' },
  { at: 22, agent: 'lee', chats: 2 },
  { at: 22, agent: 'ana', chats: 1 },
  { at: 30, agent: 'kim', chats: 2 },
  { at: 40, agent: 'kim', chats: 0 },
  { at: 44, agent: 'lee', chats: 4 },
  { at: 47, agent: 'lee', chats: 2 },
];

/** One decision as both sides can say it: when, for whom, which rule (or a put-back), what, how it ended. */
interface Row {
  minute: number;
  target: Name | 'account';
  rule: string | null;
  action: Record<string, unknown>;
  outcome: string;
}

/** What the rules should decide on this timeline, worked out by hand. */
const EXPECTED: Row[] = [
  shadowTransfers(7), // kim has held two chats for 2m
  away(15), // sam idle 10m at +10m, held for 5m
  shadowTransfers(17), // kim's cooldown is over and kim changed (a third chat at +12m) since +7m
  surge(22), // six chats in the account
  shadowTransfers(30), // cooldown over at +27m, but the record waits until kim changes (+30m)
  away(45), // sam back online at +20m, idle 10m at +30m, ready at +35m, cooldown until +45m
  // Below five chats at +40m, five again at +44m (the change stays), below at +47m: kept 10m.
  { minute: 57, target: 'account', rule: null, action: { revert: 'Default capacity' }, outcome: 'applied' },
];

function away(minute: number): Row {
  return { minute, target: 'sam', rule: 'idle-away', action: { set_status: 'away' }, outcome: 'applied' };
}
function shadowTransfers(minute: number): Row {
  return {
    minute,
    target: 'kim',
    rule: 'busy-transfers-only',
    action: { set_status: 'transfers_only' },
    outcome: 'shadow',
  };
}
function surge(minute: number): Row {
  return {
    minute,
    target: 'account',
    rule: 'chat-surge',
    action: { set_capacity: { rule: 'Default capacity', capacities: { messaging: 5 } } },
    outcome: 'applied',
  };
}

describe('one timeline through the scenario runner and through the router against the simulator', () => {
  let sim: SimHarness;
  let client: ZendeskClient;
  let dir: string;
  let audit: SqliteAuditStore;
  let routerRows: Row[];
  let writes: string[];
  let groups: Map<Name, number[]>;

  beforeAll(async () => {
    sim = await startSim({ agentCount: 8, rateLimitPerMin: 100_000 });
    // Some 400 reads and writes in the hour the test replays within a few wall seconds.
    client = new ZendeskClient({
      baseUrl: sim.url,
      auth: { type: 'oauth', accessToken: 'sim-oauth-token' },
      requestsPerMinute: 100_000,
    });
    dir = mkdtempSync(join(tmpdir(), 'parity-'));
    audit = new SqliteAuditStore(join(dir, 'audit.sqlite'));
    await sim.freezeClock(new Date(T0).toISOString());
    groups = new Map();
    for (const name of NAMES) groups.set(name, (await client.getAgentAvailability(AGENTS[name])).groupIds);
    await sim.control('delete', '/requests');
    routerRows = await runThroughRouter(sim, client, audit);
    writes = await writesByMinute(sim);
  }, 60_000);

  afterAll(async () => {
    await audit.close();
    client.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('the router records what the rules say, and Zendesk got exactly the enforced changes', () => {
    expect(routerRows).toEqual(EXPECTED);
    expect(writes).toEqual([
      `+15m PUT agent ${AGENTS.sam} status`,
      '+22m PUT capacity rule Default capacity',
      `+45m PUT agent ${AGENTS.sam} status`,
      '+57m PUT capacity rule Default capacity',
    ]);
  });

  it('the scenario runner decides the same, minute by minute, for every agent and the account', async () => {
    const result = await runScenario(RULES, 'parity.test.yaml', scenarioYaml(groups, routerRows));
    expect(result.failures).toEqual([]);
    expect(result.passed).toBe(true);
  });

  it('a scenario that expects anything else fails, saying where', async () => {
    // The put-back one minute early: the runner must see it is not there at +56m, and is at +57m.
    const early = routerRows.map((r) => (r.action.revert ? { ...r, minute: r.minute - 1 } : r));
    const result = await runScenario(RULES, 'parity.test.yaml', scenarioYaml(groups, early));
    expect(result.passed).toBe(false);
    expect(result.failures).toHaveLength(2);
    expect(result.failures[0]).toContain('at +56m for the account:');
    expect(result.failures[0]).toContain('expected: {"revert":"Default capacity"}');
    expect(result.failures[0]).toContain('actual:   no action');
    expect(result.failures[1]).toContain('at +57m for the account:');

    // A shadow decision expected as if it were enforced.
    const enforced = routerRows.map((r) => (r.outcome === 'shadow' ? { ...r, outcome: 'applied' } : r));
    const second = await runScenario(RULES, 'parity.test.yaml', scenarioYaml(groups, enforced));
    expect(second.passed).toBe(false);
    expect(second.failures[0]).toContain('at +7m for agent kim:');
  });
});

/**
 * The timeline against the simulator: each minute the simulator clock is there, people's changes
 * are made through the control API, the agents are read, and one evaluation pass (agents, then
 * the capacity rules) runs at that time. Returns what was recorded in the audit log.
 */
async function runThroughRouter(
  sim: SimHarness,
  client: ZendeskClient,
  audit: SqliteAuditStore,
): Promise<Row[]> {
  const now = { value: T0 };
  let capacityRules = await client.listCapacityRules();
  const cache = new AgentStateCache();
  const journal = new WriteJournal(audit);
  await journal.load();
  const statuses = await client.listStatuses();
  const pass = new EvaluationPass({
    cache,
    client,
    audit,
    journal,
    gate: new SafetyGate(SAFETY, () => false),
    enforce: true,
    statuses: () => statuses,
    capacityRules: () => capacityRules,
    now: () => now.value,
    onCapacityRuleChanged: (rule: CapacityRule) => {
      capacityRules = [...capacityRules.filter((r) => r.id !== rule.id), rule];
    },
  });
  await pass.load();
  pass.useRules(RULES);

  for (let minute = 0; minute <= END; minute++) {
    if (minute > 0) await sim.advance(MINUTE);
    now.value = T0 + minute * MINUTE;
    for (const event of TIMELINE.filter((e) => e.at === minute)) await act(sim, event, minute === 0);
    for (const name of NAMES) cache.applySnapshot(await client.getAgentAvailability(AGENTS[name]), now.value);
    const tick = { kind: 'tick' as const, at: now.value };
    await pass.run(NAMES.map((name) => [AGENTS[name], tick] as const));
    await pass.runAccount(tick);
  }

  const { decisions } = await audit.decisions({ limit: 1_000 });
  return decisions.sort((a, b) => a.id - b.id).map(rowOf);
}

/** One timeline entry, done as a person (status) and as routing (chats) would in Zendesk. */
async function act(sim: SimHarness, event: (typeof TIMELINE)[number], first: boolean): Promise<void> {
  const id = AGENTS[event.agent];
  if (event.status) await sim.control('put', `/agents/${id}`, { status_id: STATUS_ID[event.status] });
  if (event.chats === undefined) return;
  const agent = (await sim.control('get', `/agents/${id}`)).body.agent as {
    channels: Record<string, { work_items: Array<{ id: number }> }>;
  };
  // At the start every agent has nothing on any channel; afterwards only messaging changes.
  for (const [channel, state] of Object.entries(agent.channels)) {
    if (!first && channel !== 'messaging') continue;
    const items = state.work_items;
    const keep = channel === 'messaging' ? Math.min(event.chats, items.length) : 0;
    for (const item of items.slice(keep))
      await sim.control('delete', `/agents/${id}/work_items/${channel}/${item.id}`);
  }
  const have = first ? 0 : agent.channels.messaging!.work_items.length;
  for (let n = have; n < event.chats; n++)
    await sim.control('post', `/agents/${id}/work_items`, { channel: 'messaging' });
}

/** The writes Zendesk received, each at its simulator minute, as `+15m PUT agent <id> status`. */
async function writesByMinute(sim: SimHarness): Promise<string[]> {
  const rules = (await sim.get('/api/v2/capacity/rules').expect(200)).body as Array<{
    id: string;
    name: string;
  }>;
  const requests = (await sim.control('get', '/requests')).body.requests as Array<{
    time: string;
    method: string;
    path: string;
  }>;
  return requests
    .filter((r) => r.method !== 'GET')
    .map((r) => {
      const minute = (Date.parse(r.time) - T0) / MINUTE;
      const agent = /\/agent_statuses\/agents\/(\d+)$/.exec(r.path)?.[1];
      const rule = rules.find((c) => r.path.endsWith(`/capacity/rules/${c.id}`))?.name;
      const what = agent ? `agent ${agent} status` : rule ? `capacity rule ${rule}` : r.path;
      return `+${minute}m ${r.method} ${what}`;
    });
}

function rowOf(d: StoredDecision): Row {
  const action = d.action as Record<string, unknown>;
  const name = d.target.startsWith('capacity:') ? 'account' : NAME_OF.get(d.target);
  if (!name) throw new Error(`a decision for ${d.target}, which is not in the timeline`);
  return {
    minute: (d.time - T0) / MINUTE,
    target: name,
    rule: 'revert' in action ? null : d.rule,
    action,
    outcome: d.outcome,
  };
}

/**
 * The same timeline as a scenario file: each agent's facts at each entry, the account's chats
 * whenever they change, and an expectation for every minute and every target — the rows given,
 * and no action everywhere else.
 */
function scenarioYaml(groups: ReadonlyMap<Name, number[]>, rows: readonly Row[]): string {
  const chats = new Map<Name, number>();
  const timeline: object[] = [];
  let accountChats: number | null = null;
  for (let minute = 0; minute <= END; minute++) {
    for (const event of TIMELINE.filter((e) => e.at === minute)) {
      const facts: Record<string, unknown> = {};
      if (event.status) {
        facts['status.name'] = event.status;
        facts['messaging.status'] = MESSAGING[event.status];
      }
      if (event.chats !== undefined) {
        chats.set(event.agent, event.chats);
        facts['messaging.workItems'] = event.chats;
        facts.workItems = event.chats;
      }
      // Any change starts the idle time again: a status set now, or the last chat ending now.
      facts.idleMinutes = 0;
      timeline.push({ at: `${minute}m`, agent: event.agent, facts });
    }
    const total = [...chats.values()].reduce((a, b) => a + b, 0);
    if (total === accountChats) continue;
    accountChats = total;
    timeline.push({ at: `${minute}m`, account: { 'account.messaging.workItems': total } });
  }
  const expect: object[] = [];
  for (let minute = 0; minute <= END; minute++) {
    for (const target of [...NAMES, 'account'] as const) {
      const actions = rows
        .filter((r) => r.minute === minute && r.target === target)
        .map((r) => ({
          ...(r.rule === null ? {} : { rule: r.rule }),
          ...r.action,
          ...(r.outcome === 'shadow' ? { shadow: true } : {}),
          ...(r.outcome === 'suppressed' ? { held: true } : {}),
        }));
      expect.push(
        target === 'account'
          ? { at: `${minute}m`, account: true, actions }
          : { at: `${minute}m`, agent: target, actions },
      );
    }
  }
  return stringify({
    name: 'the parity timeline',
    start: new Date(T0).toISOString(),
    step: '1m',
    safety: {
      humanHold: `${SAFETY.humanHoldS}s`,
      maxChangesPerMin: SAFETY.maxChangesPerMin,
      minOnlinePerGroup: SAFETY.minOnlinePerGroup,
    },
    agents: Object.fromEntries(NAMES.map((n) => [n, { id: AGENTS[n], groups: groups.get(n) ?? [] }])),
    timeline,
    expect,
  });
}
