import { AgentSyncService } from '../apps/router/src/sync/agent-sync.service';
import { eventually, startRouter, type RouterHarness } from './support/router.harness';

const AGENTS = [360_099_100_001, 360_099_100_002, 360_099_100_003];
const BREAK = 9002;
const NO_BREAKS = `statuses: [Break]
rules:
  - name: no-breaks
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
`;

interface LoggedRequest {
  method: string;
  path: string;
  status: number | null;
}

describe('the router when Zendesk misbehaves', () => {
  let h: RouterHarness;
  const statusOf = async (id: number) =>
    (await h.sim.control('get', `/agents/${id}`)).body.agent.status.name as string;

  beforeEach(async () => {
    h = await startRouter(NO_BREAKS, {}, 10);
    await h.sim.control('delete', '/requests');
  });
  afterEach(() => h.close());

  it('waits out a 429 storm and then applies every intended change', async () => {
    await h.sim.control('post', '/faults', { type: 'rate_limit', retry_after_s: 1, count: 2 });
    for (const id of AGENTS) await h.sim.control('put', `/agents/${id}`, { status_id: BREAK });
    const statuses = await eventually(
      () => Promise.all(AGENTS.map(statusOf)),
      (s) => s.every((name) => name === 'away'),
      8_000,
    );
    expect(statuses).toEqual(['away', 'away', 'away']);
    const log = (await h.sim.control('get', '/requests')).body.requests as LoggedRequest[];
    expect(log.filter((r) => r.status === 429)).toHaveLength(2);
    expect(log.filter((r) => r.method === 'PUT' && r.status === 200)).toHaveLength(3);
  }, 15_000);

  it('records writes that fail in an outage and applies them on the next pass once Zendesk is back', async () => {
    await h.sim.control('post', '/faults', {
      type: 'error',
      status: 503,
      path_prefix: '/api/v2/agent_availabilities/agent_statuses',
    });
    await h.sim.control('put', `/agents/${AGENTS[0]}`, { status_id: BREAK });
    const sync = h.router.get(AgentSyncService);
    const failedFirst = await eventually(
      async () => (await h.sim.control('get', '/requests')).body.requests as LoggedRequest[],
      (log) => log.some((r) => r.method === 'PUT' && r.status === 503),
      8_000,
    );
    expect(failedFirst.some((r) => r.method === 'PUT' && r.status === 503)).toBe(true);
    expect(await statusOf(AGENTS[0]!)).toBe('Break');

    await h.sim.control('delete', '/faults');
    await sync.tick();
    expect(
      await eventually(
        () => statusOf(AGENTS[0]!),
        (s) => s === 'away',
        8_000,
      ),
    ).toBe('away');
  }, 20_000);
});
