import { parseRuleSet } from '@app/rules';
import { ZendeskClient, type UnifiedStatus } from '@app/zendesk';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditStore } from '../apps/router/src/audit/audit.store';
import { EvaluationPass } from '../apps/router/src/pipeline/evaluation.pass';
import { AgentStateCache } from '../apps/router/src/sync/agent-state.cache';
import { startSim, type SimHarness } from './support/sim.harness';

const AGENT = 360_099_100_001;
const T0 = Date.parse('2026-11-23T09:00:00Z');
const MINUTE = 60_000;

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
    const agent = (await sim.control('get', `/agents/${AGENT}`)).body.agent;
    await sim.control('put', `/agents/${AGENT}`, { status_id: 3 });
    for (const [channel, state] of Object.entries(
      agent.channels as Record<string, { work_items: Array<{ id: number }> }>,
    )) {
      for (const item of state.work_items)
        await sim.control('delete', `/agents/${AGENT}/work_items/${channel}/${item.id}`);
    }
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
    return pass.run([AGENT], { kind: 'tick', at: now.value });
  }

  it('sets an idle messaging agent away once `for` has passed, and records why', async () => {
    const cache = new AgentStateCache();
    const now = { value: T0 };
    const pass = new EvaluationPass(RULES('enforce'), () => statuses, {
      cache,
      client,
      audit,
      enforce: true,
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
      enforce: true,
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
      enforce: true,
      now: () => now.value,
    });
    await runAt(first, firstCache, 16, now);
    // A new pass (as after a restart) picks the pending timer up from the store: it fires at +21m, not +26m.
    const cache = new AgentStateCache();
    const second = new EvaluationPass(RULES('enforce'), () => statuses, {
      cache,
      client,
      audit,
      enforce: true,
      now: () => now.value,
    });
    const [decision] = await runAt(second, cache, 21, now);
    expect(decision).toMatchObject({ outcome: 'applied' });
  });
});
