/**
 * Reaction time: an agent changes in Zendesk, the signed webhook reaches the router, the rules
 * decide, and the status write is answered — the latency the router records for each decision
 * (from the webhook's arrival to the write's answer). Router and simulator on loopback, budget
 * free. Reference, same run: the bare write (one `PUT` of the same status with `fetch`).
 */
import { AuditStore } from '../apps/router/src/audit/audit.store';
import { count, quantile, ratio, type Bench } from './report';
import { FIRST_AGENT, putOnBreak, startRouterOnSimulator } from './router.process';

const LUNCH_STATUS = 9001;
const AUTH = { Authorization: 'Bearer sim-oauth-token', 'Content-Type': 'application/json' };

export const reactionBench: Bench = async ({ quick }) => {
  const changes = quick ? 100 : 400;
  const under = await startRouterOnSimulator(2 * changes + 10, {
    ZENDESK_REQUESTS_PER_MIN: '10000',
    MAX_CHANGES_PER_MIN: '10000',
    RESYNC_INTERVAL_S: '3600',
    EVALUATION_INTERVAL_S: '3600',
  });
  const latencies: number[] = [];
  const bare: number[] = [];
  try {
    const audit = under.router.get(AuditStore);
    for (let i = 0; i < changes; i++) {
      const agentId = FIRST_AGENT + i;
      await putOnBreak(under.sim, agentId);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const [decision] = (
          await audit.decisions({ agentId, rule: 'no-breaks', outcome: 'applied', limit: 1 })
        ).decisions;
        if (decision) {
          latencies.push(decision.latencyMs ?? NaN);
          break;
        }
        if (Date.now() > deadline) throw new Error(`no decision for agent ${agentId} within 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      // The reference: a bare write of a status the rules leave alone, to another agent.
      const started = performance.now();
      const res = await fetch(
        `${under.sim.url}/api/v2/agent_availabilities/agent_statuses/agents/${agentId + changes}`,
        {
          method: 'PUT',
          headers: AUTH,
          body: JSON.stringify({ id: LUNCH_STATUS }),
        },
      );
      await res.text();
      bare.push(performance.now() - started);
    }
  } finally {
    await under.close();
  }
  const p50 = quantile(latencies, 0.5);
  const p99 = quantile(latencies, 0.99);
  const b50 = quantile(bare, 0.5);
  const b99 = quantile(bare, 0.99);
  return {
    id: 'reaction',
    title: 'Router: webhook to status write',
    about:
      "An agent is put on a break in the simulator; its signed webhook reaches the router, which evaluates, plans and sends the status write through the Zendesk client (budget free). Latency is what the router records on the decision: from the webhook's arrival to the write's answer. One change at a time. Reference, same run: one bare `PUT` of a status with `fetch`.",
    head: ['changes', 'p50 (ms)', 'p99 (ms)', 'bare PUT p50 (ms)', 'bare PUT p99 (ms)', 'p50 ratio'],
    rows: [[count(changes), p50.toFixed(1), p99.toFixed(1), b50.toFixed(1), b99.toFixed(1), ratio(p50, b50)]],
    figures: [
      { name: 'reaction.p50', value: p50, unit: 'ms', reference: { name: 'bare PUT p50', value: b50 } },
      { name: 'reaction.p99', value: p99, unit: 'ms', reference: { name: 'bare PUT p99', value: b99 } },
    ],
  };
};
