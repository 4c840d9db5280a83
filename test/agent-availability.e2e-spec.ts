import { startSim, type SimHarness } from './support/sim.harness';

describe('Agent Availability API', () => {
  let sim: SimHarness;

  beforeAll(async () => {
    sim = await startSim({ agentCount: 250 });
  });
  afterAll(() => sim.close());

  it('walks every agent exactly once with links.next, in ascending agent_id order', async () => {
    const seen: number[] = [];
    let next: string | undefined = '/api/v2/agent_availabilities?page[size]=37';
    let pages = 0;
    while (next) {
      const res = await sim.get(next.replace(sim.url, '')).expect(200);
      pages += 1;
      for (const agent of res.body.data) seen.push(agent.attributes.agent_id);
      expect(res.body.meta.has_more).toBe(res.body.links.next !== undefined);
      next = res.body.links.next;
    }
    expect(pages).toBe(Math.ceil(250 / 37));
    expect(new Set(seen).size).toBe(250);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });
});
