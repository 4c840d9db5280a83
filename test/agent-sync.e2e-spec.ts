import { ZendeskClient, type AgentAvailability } from '@app/zendesk';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentStateCache, type AgentEventEnvelope } from '../apps/router/src/sync/agent-state.cache';
import { startSim, type SimHarness } from './support/sim.harness';

const AGENT = 360_099_100_001;

/** What rules can see of an agent: everything but the work item lists, which are only a first page. */
function visible(agent: AgentAvailability) {
  return {
    version: agent.version,
    status: agent.status && { id: agent.status.id, name: agent.status.name, reason: agent.status.reason },
    groupIds: agent.groupIds,
    channels: agent.channels.map((c) => ({
      name: c.name,
      status: c.status,
      workItemCount: c.workItemCount,
      maxCapacity: c.maxCapacity,
    })),
  };
}

describe('keeping the agent cache in step from webhook events', () => {
  let sim: SimHarness;
  let receiver: Server;
  const received: AgentEventEnvelope[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as AgentEventEnvelope);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/zendesk`;
    sim = await startSim({
      agentCount: 20,
      rateLimitPerMin: 100_000,
      webhook: { url, secret: 'a-test-secret' },
    });
  });
  afterAll(async () => {
    await sim.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('applies every event as a delta and ends where a fresh read of Zendesk is', async () => {
    const client = new ZendeskClient({
      baseUrl: sim.url,
      auth: { type: 'oauth', accessToken: 'sim-oauth-token' },
    });
    try {
      const cache = new AgentStateCache();
      for await (const page of client.listAgentAvailabilities())
        for (const agent of page) cache.applySnapshot(agent, Date.now());

      await sim.control('put', `/agents/${AGENT}`, { status_id: 4 });
      await sim.control('put', `/agents/${AGENT}`, { status_id: 9001 });
      await sim.control('post', `/agents/${AGENT}/work_items`, {
        channel: 'support',
        reason: 'MANUAL_ASSIGNED',
      });
      await sim.control('put', `/agents/${AGENT}`, { group_ids: [360_001_000_002, 360_001_000_003] });
      const rule = (await client.listCapacityRules()).find((r) => r.name === 'Senior agents')!;
      await client.updateCapacityRule(rule.id, { agentIds: [AGENT] });
      await client.setAgentStatus(AGENT, 3);

      const deadline = Date.now() + 5_000;
      let pending = 1;
      while (pending > 0 && Date.now() < deadline) {
        pending = (await sim.control('get', '/webhooks/pending')).body.pending;
        if (pending > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const outcomes = received
        .filter((e) => e.detail.agent_id === String(AGENT))
        .sort((a, b) => Number(a.detail.version) - Number(b.detail.version))
        .map((e) => cache.applyEvent(e, Date.now()).kind);
      expect(outcomes.length).toBeGreaterThan(8);
      expect(outcomes.every((kind) => kind === 'applied')).toBe(true);
      const fresh = await client.getAgentAvailability(AGENT);
      expect(visible(cache.get(AGENT)!)).toEqual(visible(fresh));
    } finally {
      client.close();
    }
  });
});
