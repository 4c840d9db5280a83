import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { SimClock, type ClockTimer } from '../clock/sim.clock';
import { CUSTOM_STATUS } from '../store/account.seed';
import { DEFAULT_STATUS, type Agent, type ChannelName, type WorkItemReason } from '../store/account.model';
import { AccountStore } from '../store/account.store';
import { Prng } from '../store/prng';

/** Simulated time between two steps of the day. */
export const ACTIVITY_STEP_MS = 5_000;

const MINUTE_MS = 60_000;
const DAY_MIN = 24 * 60;

/** Mean minutes between work arriving for one available agent, per channel. */
const ARRIVAL_MEAN_MIN: Record<ChannelName, number> = { messaging: 4, support: 12, talk: 15 };
/** Mean handling time per channel, in minutes (calls are short, tickets are long). */
const HANDLING_MEAN_MIN: Record<ChannelName, number> = { messaging: 9, support: 30, talk: 6 };
/** Share of new work assigned by hand, which ignores capacity. */
const MANUAL_ASSIGNMENT_SHARE = 0.03;
/** Share of messaging offers that are missed rather than accepted. */
const OFFER_MISSED_SHARE = 0.05;

/** Mean minutes from shift start to logging in, and from shift end to logging out. */
const LOGIN_DELAY_MEAN_MIN = 4;
const LOGOUT_DELAY_MEAN_MIN = 6;
/** Share of shifts that end without the agent going offline. */
const FORGETS_LOGOUT_SHARE = 0.08;
/** Mean minutes between breaks while online on shift. */
const BREAK_EVERY_MEAN_MIN = 140;
/** Mean length of a break, by status, in minutes. */
const BREAK_MEAN_MIN: Record<number, number> = {
  [CUSTOM_STATUS.break]: 12,
  [CUSTOM_STATUS.lunch]: 40,
  [CUSTOM_STATUS.coaching]: 25,
  [CUSTOM_STATUS.training]: 50,
};
/** Share of breaks that overrun, and by how much (a multiplier of the planned length). */
const OVERRUN_SHARE = 0.15;
const OVERRUN_FACTOR = 2.2;
/** Mean minutes between spells of idling (online but taking no work), and their mean length. */
const IDLE_EVERY_MEAN_MIN = 300;
const IDLE_MEAN_MIN = 18;
/** Idle this long and Zendesk's idle timeout sets the agent away (some accounts use it). */
const IDLE_TIMEOUT_MIN = 15;
/** Mean minutes before an agent set away or transfers-only (by anyone) comes back online. */
const RETURN_MEAN_MIN = 10;
/** Mean minutes between switches to transfers-only while online. */
const TRANSFERS_ONLY_EVERY_MEAN_MIN = 900;

/** Shift patterns: [share of agents, earliest start hour UTC, latest start hour, length hours]. */
const SHIFTS: ReadonlyArray<readonly [number, number, number, number]> = [
  [0.1, 5, 6, 8],
  [0.45, 7, 9, 8.5],
  [0.3, 12, 14, 8.5],
  [0.15, 21, 23, 8],
];

/** What the generator has done since it was last reset. */
export interface ActivityCounters {
  steps: number;
  workItemsAdded: number;
  workItemsFinished: number;
  statusChanges: number;
}

interface Plan {
  shiftStartMin: number;
  shiftLengthMin: number;
  /** When the current break, away spell or idle spell ends (simulator ms); 0 when none. */
  returnAt: number;
  idleUntil: number;
  idleSince: number;
  /** The shift (by start time) whose logout this agent will forget. */
  forgetsShiftStartingAt: number;
}

/**
 * A seeded day in a contact centre. Every `ACTIVITY_STEP_MS` of simulator time it logs agents in
 * and out around their shifts (some forget to log out), routes work to available agents up to
 * their capacity (a little by hand, beyond it), finishes work, sends agents on breaks that
 * sometimes overrun, and lets some go idle. The same seed and the same clock steps always give
 * the same account. It reads each agent's state from the store on every step, so a status set
 * through the API is simply where that agent continues from.
 */
@Injectable()
export class ActivityGenerator implements OnApplicationShutdown {
  private prng = new Prng(1);
  private plans = new Map<number, Plan>();
  private timer: ClockTimer | null = null;
  private counters: ActivityCounters = {
    steps: 0,
    workItemsAdded: 0,
    workItemsFinished: 0,
    statusChanges: 0,
  };

  constructor(
    private readonly store: AccountStore,
    private readonly clock: SimClock,
  ) {}

  /** Forgets all plans and counters; starts stepping from now when `enabled`. */
  reset(seed: number, enabled: boolean): void {
    this.stop();
    this.prng = new Prng((seed ^ 0xac71_7e00) >>> 0);
    this.plans = new Map();
    this.counters = { steps: 0, workItemsAdded: 0, workItemsFinished: 0, statusChanges: 0 };
    if (enabled) this.start();
  }

  start(): void {
    if (this.timer) return;
    this.timer = this.clock.schedule(ACTIVITY_STEP_MS, () => this.tick());
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  isRunning(): boolean {
    return this.timer !== null;
  }

  stats(): ActivityCounters {
    return { ...this.counters };
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  /** One step of the day for every agent. */
  step(): void {
    const now = this.clock.now();
    const minuteOfDay = Math.floor((now % 86_400_000) / MINUTE_MS);
    for (const agent of this.store.agents()) {
      const plan = this.planFor(agent);
      this.moveStatus(agent, plan, now, minuteOfDay);
      this.moveWork(agent, plan, now);
    }
    this.counters.steps++;
  }

  private tick(): void {
    this.timer = null;
    this.step();
    // Re-arm after the step so a stop() during it sticks, and steps never overlap.
    this.timer = this.clock.schedule(ACTIVITY_STEP_MS, () => this.tick());
  }

  private planFor(agent: Agent): Plan {
    let plan = this.plans.get(agent.id);
    if (!plan) {
      let roll = this.prng.next();
      let shift = SHIFTS[SHIFTS.length - 1]!;
      for (const candidate of SHIFTS) {
        if (roll < candidate[0]) {
          shift = candidate;
          break;
        }
        roll -= candidate[0];
      }
      plan = {
        shiftStartMin: this.prng.int(shift[1] * 60, shift[2] * 60),
        shiftLengthMin: shift[3] * 60 + this.prng.int(-20, 20),
        returnAt: 0,
        idleUntil: 0,
        idleSince: 0,
        forgetsShiftStartingAt: -1,
      };
      this.plans.set(agent.id, plan);
    }
    return plan;
  }

  private moveStatus(agent: Agent, plan: Plan, now: number, minuteOfDay: number): void {
    const sinceStart = (minuteOfDay - plan.shiftStartMin + DAY_MIN) % DAY_MIN;
    const onShift = sinceStart < plan.shiftLengthMin;
    const shiftStartedAt = now - sinceStart * MINUTE_MS;
    const status = agent.status.id;
    if (status === DEFAULT_STATUS.offline) {
      if (onShift && this.every(LOGIN_DELAY_MEAN_MIN)) {
        plan.forgetsShiftStartingAt = this.prng.chance(FORGETS_LOGOUT_SHARE) ? shiftStartedAt : -1;
        this.setStatus(agent, DEFAULT_STATUS.online, 'AGENT_STATUS_SWITCHER');
      }
      return;
    }
    if (!onShift) {
      // Off shift: everyone logs out eventually, except those who forget this shift's logout.
      const forgot =
        plan.forgetsShiftStartingAt >= 0 && now - plan.forgetsShiftStartingAt < DAY_MIN * MINUTE_MS;
      if (!forgot && this.every(LOGOUT_DELAY_MEAN_MIN)) {
        plan.returnAt = 0;
        plan.idleUntil = 0;
        this.setStatus(agent, DEFAULT_STATUS.offline, 'AGENT_LOGOUT');
      }
      return;
    }
    if (status === DEFAULT_STATUS.online) {
      if (plan.idleUntil > 0) {
        if (now >= plan.idleUntil) {
          plan.idleUntil = 0;
        } else if (now - plan.idleSince >= IDLE_TIMEOUT_MIN * MINUTE_MS && this.prng.chance(0.5)) {
          plan.idleUntil = 0;
          plan.returnAt = now + this.minutes(RETURN_MEAN_MIN);
          this.setStatus(agent, DEFAULT_STATUS.away, 'AGENT_IDLE_TIMEOUT');
        }
        return;
      }
      if (this.every(BREAK_EVERY_MEAN_MIN)) {
        const breakStatus = this.prng.pick([
          CUSTOM_STATUS.break,
          CUSTOM_STATUS.break,
          CUSTOM_STATUS.lunch,
          CUSTOM_STATUS.coaching,
          CUSTOM_STATUS.training,
        ]);
        const planned = this.minutes(BREAK_MEAN_MIN[breakStatus] ?? 15);
        plan.returnAt = now + (this.prng.chance(OVERRUN_SHARE) ? planned * OVERRUN_FACTOR : planned);
        this.setStatus(agent, breakStatus, 'AGENT_STATUS_SWITCHER');
      } else if (this.every(IDLE_EVERY_MEAN_MIN)) {
        plan.idleSince = now;
        plan.idleUntil = now + this.minutes(IDLE_MEAN_MIN);
      } else if (this.every(TRANSFERS_ONLY_EVERY_MEAN_MIN)) {
        plan.returnAt = now + this.minutes(RETURN_MEAN_MIN);
        this.setStatus(agent, DEFAULT_STATUS.transfers_only, 'AGENT_STATUS_SWITCHER');
      }
      return;
    }
    // Away, transfers only or a custom status: back online when the spell ends. A spell that
    // someone else started (an automation, the API) gets a human-like length of its own.
    if (plan.returnAt === 0) plan.returnAt = now + this.minutes(RETURN_MEAN_MIN);
    if (now >= plan.returnAt) {
      plan.returnAt = 0;
      this.setStatus(agent, DEFAULT_STATUS.online, 'AGENT_STATUS_SWITCHER');
    }
  }

  private moveWork(agent: Agent, plan: Plan, now: number): void {
    const idle = plan.idleUntil > now;
    for (const channel of agent.channels.values()) {
      // Finishing work happens whatever the agent's status; idle agents let theirs run down.
      // Backwards, because finishing an item removes it from the list being walked.
      for (let i = channel.workItems.length - 1; i >= 0; i--) {
        const item = channel.workItems[i]!;
        if (item.reason === 'OFFERED') {
          const missed = this.prng.chance(OFFER_MISSED_SHARE);
          this.store.updateWorkItem(agent.id, channel.name, item.id, missed ? 'OFFER_MISSED' : 'ACCEPTED');
          if (missed) this.finish(agent.id, channel.name, item.id);
        } else if (this.every(HANDLING_MEAN_MIN[channel.name])) {
          this.finish(agent.id, channel.name, item.id);
        }
      }
      if (channel.status !== 'online' || idle || !this.every(ARRIVAL_MEAN_MIN[channel.name])) continue;
      const manual = this.prng.chance(MANUAL_ASSIGNMENT_SHARE);
      if (!manual && channel.workItems.length >= this.store.maxCapacity(agent, channel.name)) continue;
      const reason: WorkItemReason = manual
        ? 'MANUAL_ASSIGNED'
        : channel.name === 'messaging'
          ? 'OFFERED'
          : 'ASSIGNED';
      this.store.addWorkItem(agent.id, channel.name, { reason });
      this.counters.workItemsAdded++;
    }
  }

  private finish(agentId: number, channel: ChannelName, itemId: number): void {
    this.store.removeWorkItem(agentId, channel, itemId);
    this.counters.workItemsFinished++;
  }

  private setStatus(
    agent: Agent,
    statusId: number,
    reason: 'AGENT_STATUS_SWITCHER' | 'AGENT_LOGOUT' | 'AGENT_IDLE_TIMEOUT',
  ): void {
    if (agent.status.id === statusId) return;
    const status = this.store.status(statusId);
    // Group-restricted custom statuses are only taken by agents allowed to use them.
    if (!status || (status.groupIds.length > 0 && !status.groupIds.some((g) => agent.groupIds.includes(g))))
      return;
    this.store.setUnifiedStatus(agent.id, statusId, reason);
    this.counters.statusChanges++;
  }

  /** True with the chance that an event with this mean interval happens within one step. */
  private every(meanMin: number): boolean {
    return this.prng.chance(ACTIVITY_STEP_MS / (meanMin * MINUTE_MS));
  }

  private minutes(meanMin: number): number {
    return Math.max(MINUTE_MS, this.prng.exponential(meanMin * MINUTE_MS));
  }
}
