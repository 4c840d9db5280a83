import request from 'supertest';
import { AgentSyncService } from '../apps/router/src/sync/agent-sync.service';
import { eventually, startRouter, type RouterHarness } from './support/router.harness';

const AGENT = 360_099_100_001;
const OTHER = 360_099_100_002;
const BREAK = 9002;
const TRANSFERS_ONLY = 5;
/** An agent id the simulator does not have: what-if only, so the live router never acts on it. */
const PAPER_AGENT = 7;
const API_TOKEN = 'explain-api-e2e-token';

const RULES = `timezone: Europe/Berlin
statuses: [Break]
calendars:
  evening:
    weekly: [{ days: [mon, tue, wed, thu, fri, sat, sun], from: '19:00', to: '23:00' }]
rules:
  - name: long-break
    priority: 1
    for: 1h
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
  - name: no-transfers-only
    priority: 2
    when: { fact: status.name, operator: equal, value: transfers_only }
    then: { set_status: online }
  - name: evening-offline
    priority: 10
    scope: { agents: [${PAPER_AGENT}] }
    when: { fact: calendar.evening, operator: equal, value: true }
    then: { set_status: offline }
  - name: surge
    when: { fact: account.messaging.agentsOnline, operator: greaterThanInclusive, value: 0 }
    then: { set_capacity: { rule: No such rule, capacities: { messaging: 5 } } }
`;

describe('explain and what-if over the API', () => {
  let h: RouterHarness;
  const api = (method: 'get' | 'post', path: string) =>
    request(h.url)[method](path).set('Authorization', `Bearer ${API_TOKEN}`);

  beforeAll(async () => {
    h = await startRouter(RULES, { ROUTER_API_TOKEN: API_TOKEN });
  });
  afterAll(() => h.close());

  it('shows a rule waiting for its `for`, with since and when it fires', async () => {
    await h.sim.control('put', `/agents/${AGENT}`, { status_id: BREAK });
    const agent = await eventually(
      async () => (await api('get', `/api/agents/${AGENT}`).expect(200)).body,
      (body: { facts: Record<string, unknown>; rules: Array<{ rule: string }> }) =>
        body.facts['status.name'] === 'Break',
    );
    type Explained = { rule: string; standing: { since: number; firesAt: number }; why: string[] };
    const rule = agent.rules.find((r) => r.rule === 'long-break') as Explained;
    expect(rule.standing).toEqual({
      state: 'pending',
      since: expect.any(Number),
      firesAt: rule.standing.since + 3_600_000,
    });
    expect(rule.why[0]).toBe(
      `waiting for its for since ${new Date(rule.standing.since).toISOString()}, fires at ${new Date(rule.standing.firesAt).toISOString()}`,
    );
    const outOfScope = agent.rules.find((r) => r.rule === 'evening-offline');
    expect(outOfScope).toMatchObject({
      applies: false,
      standing: { state: 'out_of_scope' },
      explanation: null,
      why: ['out of scope: the rule does not cover this agent'],
    });
  });

  it('shows a rule held by the pause, recorded once as suppressed', async () => {
    await api('post', '/api/pause').expect(200);
    try {
      await h.sim.control('put', `/agents/${OTHER}`, { status_id: TRANSFERS_ONLY });
      const decisions = await eventually(
        async () =>
          (await api('get', `/api/decisions?agent_id=${OTHER}&rule=no-transfers-only`).expect(200)).body
            .decisions as Array<{ outcome: string; reason: string }>,
        (d) => d.length > 0,
      );
      await h.router.get(AgentSyncService).tick();
      const after = (await api('get', `/api/decisions?agent_id=${OTHER}&rule=no-transfers-only`).expect(200))
        .body.decisions;
      expect(after.map((d: { outcome: string }) => d.outcome)).toEqual(['suppressed']);
      expect(decisions[0]!.reason).toBe('the router is paused');
      const agent = (await api('get', `/api/agents/${OTHER}`).expect(200)).body;
      expect(agent.rules.find((r: { rule: string }) => r.rule === 'no-transfers-only').standing).toEqual({
        state: 'held',
        hold: 'paused',
        reason: 'the router is paused',
        until: null,
      });
    } finally {
      await api('post', '/api/resume').expect(200);
    }
  });

  it('answers what-if at the time it is given', async () => {
    const whatIf = async (at: string) =>
      (
        await api('post', '/api/explain')
          .send({ agent_id: PAPER_AGENT, facts: { 'status.name': 'online' }, at })
          .expect(200)
      ).body as { at: string; rules: Array<{ rule: string; standing: { state: string } }> };
    const evening = await whatIf('2026-11-23T20:00:00+01:00');
    expect(evening.at).toBe('2026-11-23T19:00:00.000Z');
    expect(evening.rules.find((r) => r.rule === 'evening-offline')!.standing).toEqual({
      state: 'fires',
      shadow: false,
    });
    const morning = await whatIf('2026-11-23T10:00:00+01:00');
    expect(morning.rules.find((r) => r.rule === 'evening-offline')!.standing).toEqual({
      state: 'not_matched',
    });
  });

  it('refuses unknown facts, wrong types, clock facts and a time without its offset, by name', async () => {
    const refused = async (body: object) =>
      (await api('post', '/api/explain').send(body).expect(400)).body.message;
    expect(await refused({ facts: { idelMinutes: 3 } })).toBe(
      'facts.idelMinutes: unknown fact "idelMinutes" (did you mean "idleMinutes"?)',
    );
    expect(await refused({ facts: { 'status.minutes': 'ten' } })).toBe(
      'facts.status.minutes: status.minutes must be a number of minutes (got "ten")',
    );
    expect(await refused({ facts: { 'localTime.hour': 20 } })).toBe(
      "facts.localTime.hour: localTime.hour is computed from the time and the rule set's time zone; it cannot be given (give at instead)",
    );
    expect(await refused({ scope: 'account', facts: { idleMinutes: 3 } })).toBe(
      "facts.idleMinutes: idleMinutes describes one agent: give it with an agent's facts, not the account's",
    );
    expect(await refused({ facts: {}, at: '2026-11-23T20:00:00' })).toBe(
      'at must be an ISO 8601 time with its offset, such as 2026-11-23T10:00:00+01:00',
    );
  });

  it('explains the account rules and reports a capacity rule the account lacks, without failing every pass', async () => {
    const sync = h.router.get(AgentSyncService);
    for (let i = 0; i < 3; i++) await sync.tick();
    const account = (await api('post', '/api/explain').send({ account: true }).expect(200)).body;
    expect(account.targets).toEqual([
      {
        target: 'capacity:No such rule',
        rules: [
          expect.objectContaining({
            rule: 'surge',
            matched: true,
            standing: { state: 'invalid', reason: 'the account has no capacity rule named "No such rule"' },
          }),
        ],
      },
    ]);
    const failed = (await api('get', '/api/decisions?rule=surge').expect(200)).body.decisions;
    expect(failed.map((d: { outcome: string }) => d.outcome)).toEqual(['failed']);
    const health = (await request(h.url).get('/health').expect(200)).body;
    expect(health.status).toBe('degraded');
    expect(health.details.rules).toMatchObject({
      status: 'degraded',
      accountProblems: [
        expect.stringMatching(
          /rules\.yaml:\d+:\d+: rule "surge" changes capacity rule "No such rule", which the account does not have/,
        ),
      ],
    });
    expect((await api('get', '/api/rules').expect(200)).body.accountProblems).toEqual([
      expect.objectContaining({
        file: expect.stringMatching(/rules\.yaml$/),
        message: expect.stringContaining('No such rule'),
      }),
    ]);
  });
});
