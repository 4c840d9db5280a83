import { SimClock } from '../clock/sim.clock';
import { CUSTOM_STATUS, seedAccount } from '../store/account.seed';
import { DEFAULT_STATUS, type AgentEvent } from '../store/account.model';
import { AccountStore } from '../store/account.store';
import { ActivityGenerator } from './activity.generator';

const DAY_START = Date.parse('2025-03-14T00:00:00Z');
const HOUR = 3_600_000;

function world(seed: number, agentCount = 200) {
  const clock = new SimClock();
  clock.freeze(DAY_START);
  const store = new AccountStore(clock);
  store.load(
    seedAccount({
      seed,
      agentCount,
      now: DAY_START,
      accountId: 1,
      admin: { email: 'admin@example.com', apiToken: 'sim-admin-token' },
      agent: { email: 'agent@example.com', apiToken: 'sim-agent-token' },
    }),
  );
  const generator = new ActivityGenerator(store, clock);
  const events: AgentEvent[] = [];
  store.events$.subscribe((event) => events.push(event));
  return { clock, store, generator, events };
}

function snapshot(store: AccountStore) {
  return store.agents().map((a) => ({
    id: a.id,
    version: a.version,
    status: a.status.id,
    channels: [...a.channels.values()].map((c) => [c.name, c.status, c.workItems.map((w) => w.id)]),
  }));
}

describe('ActivityGenerator', () => {
  it('is deterministic: the same seed and steps give the same account, another seed does not', () => {
    const runs = [42, 42, 43].map((seed) => {
      const w = world(seed);
      w.generator.reset(seed, true);
      w.clock.advance(2 * HOUR);
      w.generator.stop();
      return snapshot(w.store);
    });
    expect(runs[0]).toEqual(runs[1]);
    expect(runs[0]).not.toEqual(runs[2]);
  });

  it('steps once per 5 s of simulator time and never after stop()', () => {
    const w = world(1);
    w.generator.reset(1, true);
    w.clock.advance(60_000);
    expect(w.generator.stats().steps).toBe(12);
    w.generator.stop();
    const seen = w.events.length;
    w.clock.advance(HOUR);
    expect(w.events.length).toBe(seen);
    expect(w.generator.isRunning()).toBe(false);
  });

  describe('over a simulated day', () => {
    const w = world(7, 300);
    const onlineShare: number[] = [];
    const overCapacity: string[] = [];
    beforeAll(() => {
      w.generator.reset(7, true);
      for (let hour = 0; hour < 24; hour++) {
        w.clock.advance(HOUR);
        const agents = w.store.agents();
        onlineShare.push(agents.filter((a) => a.status.id === DEFAULT_STATUS.online).length / agents.length);
        for (const agent of agents) {
          for (const channel of agent.channels.values()) {
            const routed = channel.workItems.filter((i) => i.reason !== 'MANUAL_ASSIGNED').length;
            if (routed > w.store.maxCapacity(agent, channel.name))
              overCapacity.push(`${agent.id}/${channel.name}`);
          }
        }
      }
      w.generator.stop();
    });

    it('routes work only up to capacity, except what is assigned by hand', () => {
      expect(overCapacity).toEqual([]);
      const added = w.events.filter((e) => e.change.type === 'work_item_added');
      expect(added.length).toBeGreaterThan(1_000);
      expect(
        added.some((e) => e.change.type === 'work_item_added' && e.change.reason === 'MANUAL_ASSIGNED'),
      ).toBe(true);
      expect(w.events.filter((e) => e.change.type === 'work_item_removed').length).toBeGreaterThan(1_000);
    });

    it('logs agents in and out around their shifts, with a plausible share online', () => {
      const reasons = w.events.flatMap((e) =>
        e.change.type === 'unified_state_changed' ? [e.change.reason] : [],
      );
      expect(reasons.filter((r) => r === 'AGENT_LOGOUT').length).toBeGreaterThan(100);
      expect(reasons.filter((r) => r === 'AGENT_STATUS_SWITCHER').length).toBeGreaterThan(100);
      expect(Math.min(...onlineShare)).toBeGreaterThan(0.02);
      expect(Math.max(...onlineShare)).toBeLessThan(0.8);
      // Day shifts make mid-morning busier than the small hours.
      expect(onlineShare[10]!).toBeGreaterThan(onlineShare[3]!);
    });

    it("sends agents on breaks that end, and lets some idle into Zendesk's idle timeout", () => {
      const changes = w.events.flatMap((e) => (e.change.type === 'unified_state_changed' ? [e.change] : []));
      const toBreak = changes.filter(
        (c) => c.next.id === CUSTOM_STATUS.break || c.next.id === CUSTOM_STATUS.lunch,
      );
      const fromBreak = changes.filter(
        (c) => c.previous.id === CUSTOM_STATUS.break || c.previous.id === CUSTOM_STATUS.lunch,
      );
      expect(toBreak.length).toBeGreaterThan(20);
      expect(fromBreak.length).toBeGreaterThan(toBreak.length / 2);
      expect(changes.some((c) => c.reason === 'AGENT_IDLE_TIMEOUT')).toBe(true);
    });

    it('bumps versions one per event', () => {
      const last = new Map<number, number>();
      const gaps: string[] = [];
      for (const event of w.events) {
        const previous = last.get(event.agentId);
        if (previous !== undefined && event.version !== previous + 1)
          gaps.push(`${event.agentId}@${event.version}`);
        last.set(event.agentId, event.version);
      }
      expect(gaps).toEqual([]);
    });
  });

  it('continues from a status set through the API instead of undoing it at once', () => {
    const w = world(3);
    const agent = w.store.agents()[0]!;
    w.clock.set(Date.parse('2025-03-14T10:00:00Z'));
    w.generator.reset(3, true);
    w.store.setUnifiedStatus(agent.id, DEFAULT_STATUS.away, 'PUBLIC_API');
    w.clock.advance(10_000);
    expect(w.store.agent(agent.id)!.status).toMatchObject({ id: DEFAULT_STATUS.away, reason: 'PUBLIC_API' });
    w.generator.stop();
  });
});
