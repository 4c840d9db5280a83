import { SimClock } from '../clock/sim.clock';
import { CUSTOM_STATUS, seedAccount } from '../store/account.seed';
import { DEFAULT_STATUS, type AgentEvent, type ChannelName } from '../store/account.model';
import { AccountStore } from '../store/account.store';
import { ACTIVITY_STEP_MS, ActivityGenerator } from './activity.generator';
import { isOnShift, latestShiftStart, MINUTE_MS, type Shift } from './agent-behaviour';

const MIDNIGHT = Date.parse('2025-03-14T00:00:00Z');
const HOUR_MS = 3_600_000;
const BREAKS: ReadonlySet<number> = new Set([
  CUSTOM_STATUS.lunch,
  CUSTOM_STATUS.break,
  CUSTOM_STATUS.coaching,
  CUSTOM_STATUS.training,
  CUSTOM_STATUS.backOffice,
]);

/** What the channel looked like right after routing added a work item. */
interface Routed {
  channel: ChannelName;
  reason: string;
  channelStatus: string;
  count: number;
  capacity: number;
}

function aWorld({ seed = 7, agentCount = 200, at = MIDNIGHT } = {}) {
  const clock = new SimClock();
  clock.freeze(at);
  const store = new AccountStore(clock);
  store.load(
    seedAccount({
      seed,
      agentCount,
      now: at,
      accountId: 1,
      admin: { email: 'admin@example.com', apiToken: 'sim-admin-token' },
      agent: { email: 'agent@example.com', apiToken: 'sim-agent-token' },
    }),
  );
  const generator = new ActivityGenerator(store, clock);
  const events: AgentEvent[] = [];
  const routed: Routed[] = [];
  store.events$.subscribe((event) => {
    events.push(event);
    if (event.change.type !== 'work_item_added') return;
    const agent = store.agent(event.agentId)!;
    routed.push({
      channel: event.change.channel,
      reason: event.change.reason,
      channelStatus: agent.channels.get(event.change.channel)!.status,
      count: agent.channels.get(event.change.channel)!.workItems.length,
      capacity: store.maxCapacity(agent, event.change.channel),
    });
  });
  return { clock, store, generator, events, routed, seed };
}

function snapshot(store: AccountStore) {
  return store.agents().map((a) => ({
    id: a.id,
    version: a.version,
    status: a.status,
    channels: [...a.channels.values()].map((c) => ({
      name: c.name,
      status: c.status,
      items: c.workItems.map((w) => [w.id, w.reason, w.addedAt]),
    })),
  }));
}

function statusChanges(events: AgentEvent[]) {
  return events.flatMap((e) =>
    e.change.type === 'unified_state_changed' ? [{ agentId: e.agentId, at: e.at, ...e.change }] : [],
  );
}

describe('ActivityGenerator', () => {
  it('gives the same account for the same seed and clock, and another account for another seed', () => {
    const run = (seed: number) => {
      const w = aWorld({ seed, at: MIDNIGHT + 8 * HOUR_MS });
      w.generator.reset(seed, true);
      w.clock.advance(3 * HOUR_MS);
      return snapshot(w.store);
    };
    const first = run(42);
    expect(run(42)).toEqual(first);
    expect(run(43)).not.toEqual(first);
  });

  it('does not depend on how the clock is advanced, only on where it gets to', () => {
    const once = aWorld({ at: MIDNIGHT + 8 * HOUR_MS });
    once.generator.reset(5, true);
    once.clock.advance(2 * HOUR_MS);
    const inSteps = aWorld({ at: MIDNIGHT + 8 * HOUR_MS });
    inSteps.generator.reset(5, true);
    for (let i = 0; i < 24; i++) inSteps.clock.advance(5 * MINUTE_MS);
    expect(snapshot(inSteps.store)).toEqual(snapshot(once.store));
  });

  it('steps once per 5 s of simulator time, and changes nothing once stopped', () => {
    const w = aWorld({ at: MIDNIGHT + 9 * HOUR_MS });
    w.generator.reset(1, true);
    w.clock.advance(60_000);
    expect(w.generator.stats().steps).toBe(60_000 / ACTIVITY_STEP_MS);
    w.clock.advance(10 * MINUTE_MS);
    expect(w.events.length).toBeGreaterThan(0);

    w.generator.stop();
    const seen = w.events.length;
    const steps = w.generator.stats().steps;
    w.clock.advance(HOUR_MS);
    expect(w.generator.isRunning()).toBe(false);
    expect(w.events.length).toBe(seen);
    expect(w.generator.stats().steps).toBe(steps);

    w.generator.start();
    w.clock.advance(10 * MINUTE_MS);
    expect(w.events.length).toBeGreaterThan(seen);
  });

  describe('over a simulated day of 300 agents', () => {
    const w = aWorld({ agentCount: 300 });
    const onlineShare: number[] = [];
    /** Agents still logged in more than an hour after their shift ended, per hourly sample. */
    const stayedOn: number[] = [];
    const shiftOf = (agentId: number): Shift => w.generator.shiftOf(agentId)!;

    beforeAll(() => {
      w.generator.reset(w.seed, true);
      for (let hour = 1; hour <= 24; hour++) {
        w.clock.advance(HOUR_MS);
        const now = w.clock.now();
        const agents = w.store.agents();
        onlineShare.push(agents.filter((a) => a.status.id === DEFAULT_STATUS.online).length / agents.length);
        stayedOn.push(
          agents.filter((a) => {
            const shift = shiftOf(a.id);
            const ended = latestShiftStart(shift, now) + shift.lengthMin * MINUTE_MS;
            return a.status.id !== DEFAULT_STATUS.offline && !isOnShift(shift, now) && now - ended > HOUR_MS;
          }).length,
        );
      }
      w.generator.stop();
    });

    it('routes work only to online channels with room, except what a supervisor assigns by hand', () => {
      const routedByZendesk = w.routed.filter((r) => r.reason !== 'MANUAL_ASSIGNED');
      expect(routedByZendesk.length).toBeGreaterThan(5_000);
      expect(routedByZendesk.filter((r) => r.channelStatus !== 'online')).toEqual([]);
      expect(routedByZendesk.filter((r) => r.count > r.capacity)).toEqual([]);
      const manual = w.routed.filter((r) => r.reason === 'MANUAL_ASSIGNED');
      expect(manual.length).toBeGreaterThan(20);
      expect(manual.some((r) => r.count > r.capacity)).toBe(true);
      expect(manual.filter((r) => r.channel === 'talk')).toEqual([]);
    });

    it('offers chats and calls, which are mostly accepted and sometimes missed', () => {
      const updates = w.events.flatMap((e) => (e.change.type === 'work_item_updated' ? [e.change] : []));
      const accepted = updates.filter((u) => u.previousReason === 'OFFERED' && u.reason === 'ACCEPTED');
      const missed = updates.filter((u) => u.previousReason === 'OFFERED' && u.reason === 'OFFER_MISSED');
      expect(accepted.length).toBeGreaterThan(1_000);
      expect(missed.length).toBeGreaterThan(10);
      expect(missed.length).toBeLessThan(accepted.length / 3);
      expect(w.routed.filter((r) => r.channel === 'support' && r.reason === 'OFFERED')).toEqual([]);
    });

    it('finishes work after handling times that suit the channel: calls short, chats medium, tickets long', () => {
      const addedAt = new Map<number, number>();
      const durations: Record<ChannelName, number[]> = { talk: [], messaging: [], support: [] };
      for (const e of w.events) {
        if (e.change.type === 'work_item_added') addedAt.set(e.change.workItemId, e.at);
        if (e.change.type === 'work_item_removed' && e.change.reason !== 'OFFER_MISSED') {
          const from = addedAt.get(e.change.workItemId);
          if (from !== undefined) durations[e.change.channel].push(e.at - from);
        }
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(durations.talk.length + durations.messaging.length + durations.support.length).toBeGreaterThan(
        5_000,
      );
      expect(mean(durations.talk)).toBeLessThan(mean(durations.messaging));
      expect(mean(durations.messaging)).toBeLessThan(mean(durations.support));
      expect(w.generator.stats().workItemsFinished).toBeGreaterThan(5_000);
    });

    it('logs agents in around the start of their shift and out around its end', () => {
      const afterFirstHour = statusChanges(w.events).filter((c) => c.at > MIDNIGHT + HOUR_MS);
      const logins = afterFirstHour.filter(
        (c) => c.previous.id === DEFAULT_STATUS.offline && c.reason === 'AGENT_STATUS_SWITCHER',
      );
      const logouts = afterFirstHour.filter((c) => c.reason === 'AGENT_LOGOUT');
      expect(logins.length).toBeGreaterThan(150);
      expect(logouts.length).toBeGreaterThan(150);
      const minutesFromStart = logins.map((c) => {
        const shift = shiftOf(c.agentId);
        // Early birds log in up to 5 minutes before the shift, which then counts as the latest start.
        return (c.at - latestShiftStart(shift, c.at + 5 * MINUTE_MS)) / MINUTE_MS;
      });
      expect(minutesFromStart.filter((m) => m < -5 || m > 90)).toEqual([]);
      const minutesFromEnd = logouts.map((c) => {
        const shift = shiftOf(c.agentId);
        return (c.at - latestShiftStart(shift, c.at) - shift.lengthMin * MINUTE_MS) / MINUTE_MS;
      });
      expect(minutesFromEnd.filter((m) => m < 0 || m > 60)).toEqual([]);
    });

    it('has a few agents forget to log out at the end of their shift', () => {
      expect(Math.max(...stayedOn)).toBeGreaterThan(0);
      expect(Math.max(...stayedOn)).toBeLessThan(300 * 0.15);
    });

    it('keeps a plausible share online, more in the working day than at night', () => {
      expect(Math.min(...onlineShare)).toBeGreaterThan(0.04);
      expect(Math.max(...onlineShare)).toBeLessThan(0.75);
      // onlineShare[h] is sampled at (h + 1):00 UTC.
      expect(onlineShare[9]!).toBeGreaterThan(2 * onlineShare[2]!);
    });

    it('sends agents on lunch and breaks that end, a few of them late', () => {
      const spells: Array<{ agentId: number; statusId: number; from: number; to: number; minutes: number }> =
        [];
      const open = new Map<number, { statusId: number; at: number }>();
      for (const c of statusChanges(w.events)) {
        const started = open.get(c.agentId);
        if (started)
          spells.push({
            agentId: c.agentId,
            statusId: started.statusId,
            from: started.at,
            to: c.at,
            minutes: (c.at - started.at) / MINUTE_MS,
          });
        open.delete(c.agentId);
        if (BREAKS.has(c.next.id)) open.set(c.agentId, { statusId: c.next.id, at: c.at });
      }
      const lunches = spells.filter((s) => s.statusId === CUSTOM_STATUS.lunch);
      const breaks = spells.filter((s) => s.statusId === CUSTOM_STATUS.break);
      expect(lunches.length).toBeGreaterThan(100);
      expect(breaks.length).toBeGreaterThan(200);
      expect(open.size).toBeLessThan((lunches.length + breaks.length) / 10);
      expect(breaks.filter((s) => s.minutes > 15).length).toBeGreaterThan(0);
      expect(breaks.filter((s) => s.minutes > 15).length).toBeLessThan(breaks.length / 4);
      // Only an agent who went home in that status without logging out stays in it for hours, until
      // logging in for the next shift (up to 5 minutes before it starts).
      const overnight = (s: (typeof spells)[number]) =>
        s.from < latestShiftStart(shiftOf(s.agentId), s.to + 5 * MINUTE_MS);
      expect(spells.filter((s) => s.minutes > 3 * 60 && !overnight(s))).toEqual([]);
      for (const other of [CUSTOM_STATUS.coaching, CUSTOM_STATUS.training, CUSTOM_STATUS.backOffice])
        expect(spells.some((s) => s.statusId === other)).toBe(true);
    });

    it("lets some idle agents run into Zendesk's idle timeout, and they come back online", () => {
      const changes = statusChanges(w.events);
      const timedOut = changes.filter((c) => c.reason === 'AGENT_IDLE_TIMEOUT');
      expect(timedOut.length).toBeGreaterThan(10);
      expect(timedOut.every((c) => c.next.id === DEFAULT_STATUS.away)).toBe(true);
      const cameBack = changes.filter(
        (c) =>
          c.previous.id === DEFAULT_STATUS.away &&
          c.next.id === DEFAULT_STATUS.online &&
          c.reason === 'AGENT_STATUS_SWITCHER',
      );
      expect(cameBack.length).toBeGreaterThan(timedOut.length / 3);
    });

    it('occasionally switches agents to transfers only', () => {
      const toTransfers = statusChanges(w.events).filter((c) => c.next.id === DEFAULT_STATUS.transfers_only);
      expect(toTransfers.length).toBeGreaterThan(5);
    });

    it('bumps each agent version by one per event', () => {
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

  describe('when someone else changes an agent', () => {
    it('keeps a status set through the API, and the agent switches back online later like a human', () => {
      const w = aWorld({ at: MIDNIGHT + 9 * HOUR_MS });
      w.generator.reset(3, true);
      w.clock.advance(HOUR_MS);
      const agent = w.store
        .agents()
        .find(
          (a) =>
            a.status.id === DEFAULT_STATUS.online && isOnShift(w.generator.shiftOf(a.id)!, w.clock.now()),
        )!;
      const setAt = w.clock.now();
      w.store.setUnifiedStatus(agent.id, DEFAULT_STATUS.away, 'PUBLIC_API');

      w.clock.advance(55_000);
      expect(w.store.agent(agent.id)!.status).toMatchObject({
        id: DEFAULT_STATUS.away,
        reason: 'PUBLIC_API',
      });

      for (
        let minute = 0;
        minute < 180 && w.store.agent(agent.id)!.status.id !== DEFAULT_STATUS.online;
        minute++
      )
        w.clock.advance(MINUTE_MS);
      const back = w.store.agent(agent.id)!.status;
      expect(back).toMatchObject({ id: DEFAULT_STATUS.online, reason: 'AGENT_STATUS_SWITCHER' });
      expect(back.updatedAt - setAt).toBeGreaterThanOrEqual(MINUTE_MS);
    });

    it('leaves an agent the API logged out after their shift offline until the next shift', () => {
      const w = aWorld({ agentCount: 300 });
      w.generator.reset(w.seed, true);
      const forgotten = () =>
        w.store.agents().find((a) => {
          const shift = w.generator.shiftOf(a.id)!;
          const ended = latestShiftStart(shift, w.clock.now()) + shift.lengthMin * MINUTE_MS;
          return (
            a.status.id === DEFAULT_STATUS.online &&
            !isOnShift(shift, w.clock.now()) &&
            w.clock.now() - ended > HOUR_MS
          );
        });
      w.clock.advance(2 * HOUR_MS);
      for (let hour = 0; hour < 24 && !forgotten(); hour++) w.clock.advance(HOUR_MS);
      const agent = forgotten()!;
      expect(agent).toBeDefined();
      w.store.setUnifiedStatus(agent.id, DEFAULT_STATUS.offline, 'PUBLIC_API');

      const shift = w.generator.shiftOf(agent.id)!;
      const nextStart = latestShiftStart(shift, w.clock.now()) + 86_400_000;
      w.clock.set(nextStart - 6 * MINUTE_MS);
      expect(w.store.agent(agent.id)!.status).toMatchObject({
        id: DEFAULT_STATUS.offline,
        reason: 'PUBLIC_API',
      });
      w.clock.set(nextStart + 2 * HOUR_MS);
      expect(w.store.agent(agent.id)!.status.id).not.toBe(DEFAULT_STATUS.offline);
    });

    it('finishes work someone else assigned, like any other', () => {
      const w = aWorld({ at: MIDNIGHT + 10 * HOUR_MS });
      w.generator.reset(9, true);
      const agent = w.store.agents()[0]!;
      const item = w.store.addWorkItem(agent.id, 'support', { reason: 'ASSIGNED' });
      w.clock.advance(10 * HOUR_MS);
      const support = w.store.agent(agent.id)!.channels.get('support')!;
      expect(support.workItems.map((i) => i.id)).not.toContain(item.id);
    });
  });
});
