import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { SimClock, type ClockTimer } from '../clock/sim.clock';
import {
  CHANNELS,
  DEFAULT_STATUS,
  type Agent,
  type AgentChannel,
  type ChannelName,
  type StatusReason,
  type WorkItem,
  type WorkItemReason,
} from '../store/account.model';
import { AccountStore } from '../store/account.store';
import { Prng } from '../store/prng';
import {
  agentSeed,
  ARRIVAL_MEAN_MIN,
  BREAK_EVERY_MEAN_MIN,
  DAY_MS,
  drawBreak,
  drawLunch,
  drawShift,
  FORGETS_LOGOUT_SHARE,
  HANDLING_MEAN_MIN,
  IDLE_EVERY_MEAN_MIN,
  IDLE_MEAN_MIN,
  IDLE_TIMEOUT_MIN,
  IDLE_TIMEOUT_SHARE,
  isOnShift,
  latestShiftStart,
  LOGIN_EARLY_MIN,
  LOGIN_OFFSET_MEAN_MIN,
  LOGOUT_LATE_MEAN_MIN,
  LUNCH_AFTER_MAX_H,
  LUNCH_AFTER_MIN_H,
  MANUAL_ASSIGNMENT_SHARE,
  MINUTE_MS,
  OFFER_ANSWER_MEAN_S,
  OFFER_MISSED_SHARE,
  OFFER_TIMEOUT_S,
  OFFERED_CHANNELS,
  RETURN_MEAN_MIN,
  TRANSFERS_ONLY_EVERY_MEAN_MIN,
  TRANSFERS_ONLY_MAX_MIN,
  TRANSFERS_ONLY_MIN_MIN,
  type Shift,
  type Spell,
} from './agent-behaviour';

/** Simulated time between two steps of the day. */
export const ACTIVITY_STEP_MS = 5_000;

/** Steps over which a (re)started generator takes its first look at every agent. */
const FIRST_LOOK_SPREAD_STEPS = 12;

/** What the generator has done since it was last reset. */
export interface ActivityCounters {
  steps: number;
  workItemsAdded: number;
  workItemsFinished: number;
  offersMissed: number;
  statusChanges: number;
}

/** A work item the generator will act on at `at`: accept or miss an offer, or finish the work. */
interface PendingWork {
  readonly channel: ChannelName;
  readonly item: WorkItem;
  at: number;
}

/** One agent as the generator sees it: the human behind the status, and when things will happen. */
class AgentPlan {
  /** The status object last set or seen; the store replaces it on every change, so another object means someone else changed it. */
  seenStatus: Agent['status'] | null = null;
  /** Whether the human is at the desk, logged in or not: only the model knows this. */
  present = false;
  /** Whether someone else may have added or removed work the plan does not track. */
  dirty = true;
  shiftStart = 0;
  arriveAt = Infinity;
  leaveAt = Infinity;
  forgetsLogout = false;
  lunchAt = Infinity;
  breakAt = Infinity;
  transfersOnlyAt = Infinity;
  idleAt = Infinity;
  /** End of the current idle spell; 0 when not idle. */
  idleUntil = 0;
  idleTimeoutAt = Infinity;
  /** End of the current spell away from online (a break, transfers only, a status someone else set). */
  returnAt = Infinity;
  /** Next routing attempt per channel, by index in `CHANNELS`; Infinity while the channel is not online. */
  readonly arrivalAt: number[] = CHANNELS.map(() => Infinity);
  work: PendingWork[] = [];

  constructor(
    readonly prng: Prng,
    readonly shift: Shift,
  ) {}
}

const ONLINE = DEFAULT_STATUS.online;
const OFFLINE = DEFAULT_STATUS.offline;

/**
 * A seeded day in a contact centre. Every `ACTIVITY_STEP_MS` of simulator time, agents log in
 * around the start of their shift and out around its end (some forget), get work routed on their
 * online channels up to capacity (a little by hand beyond it), accept or miss offers, finish work
 * after channel-specific handling times, take lunch and breaks in the custom statuses (sometimes
 * overrunning), go idle (sometimes into Zendesk's idle timeout) and occasionally transfers-only.
 *
 * Each agent has its own seeded generator and a time when it next needs attention, so a step
 * scans one typed array and touches only the agents with something due, and the same seed and
 * clock steps always give the same account. A change made by anyone else (the API, a bulk job,
 * the control API) marks the agent due; the next step takes the new state as where the human
 * carries on from, never undoing it on the spot.
 */
@Injectable()
export class ActivityGenerator implements OnApplicationShutdown {
  private seed = 1;
  private agents: readonly Agent[] = [];
  private plans: AgentPlan[] = [];
  private wakeAt = new Float64Array(0);
  private indexById = new Map<number, number>();
  private timer: ClockTimer | null = null;
  private external: Subscription | null = null;
  private stepping = false;
  private counters: ActivityCounters = emptyCounters();

  constructor(
    private readonly store: AccountStore,
    private readonly clock: SimClock,
  ) {}

  /** Forgets every plan and counter and reseeds; starts stepping from now when `enabled`. */
  reset(seed: number, enabled: boolean): void {
    this.stop();
    this.seed = seed;
    this.counters = emptyCounters();
    this.rebuild();
    if (enabled) this.start();
  }

  /** Steps every `ACTIVITY_STEP_MS` of simulator time from now on; a no-op when running. */
  start(): void {
    if (this.timer) return;
    if (this.store.agents() !== this.agents) this.rebuild();
    // Changes made while stopped went unseen: look at every agent once, spread over the first
    // minute, because all at once would make that step about a hundred times a normal one.
    const now = this.clock.now();
    for (let i = 0; i < this.wakeAt.length; i++)
      this.wakeAt[i] = now + (i % FIRST_LOOK_SPREAD_STEPS) * ACTIVITY_STEP_MS;
    for (const plan of this.plans) plan.dirty = true;
    this.external = this.store.events$.subscribe((event) => this.noticeChange(event.agentId));
    this.timer = this.clock.schedule(ACTIVITY_STEP_MS, () => this.tick());
  }

  /** Stops stepping; nothing changes after this returns. */
  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    this.external?.unsubscribe();
    this.external = null;
  }

  /** Whether steps are scheduled. */
  isRunning(): boolean {
    return this.timer !== null;
  }

  /** A copy of the counters since the last reset. */
  stats(): ActivityCounters {
    return { ...this.counters };
  }

  /** An agent's daily shift in the current plans, to relate what the agent does to the rota. */
  shiftOf(agentId: number): Shift | undefined {
    const i = this.indexById.get(agentId);
    return i === undefined ? undefined : this.plans[i]!.shift;
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  /** One step of the day at the clock's current time. */
  step(): void {
    if (this.store.agents() !== this.agents) this.rebuild();
    const now = this.clock.now();
    const wakeAt = this.wakeAt;
    this.stepping = true;
    try {
      for (let i = 0; i < wakeAt.length; i++) {
        if (wakeAt[i]! <= now) this.visit(i, now);
      }
    } finally {
      this.stepping = false;
    }
    this.counters.steps++;
  }

  private tick(): void {
    this.timer = null;
    this.step();
    // Re-armed after the step, so steps never overlap and a stop() during one sticks.
    if (this.external) this.timer = this.clock.schedule(ACTIVITY_STEP_MS, () => this.tick());
  }

  private rebuild(): void {
    this.agents = this.store.agents();
    this.plans = this.agents.map((agent) => {
      const prng = new Prng(agentSeed(this.seed, agent.id));
      return new AgentPlan(prng, drawShift(prng));
    });
    this.wakeAt = new Float64Array(this.agents.length);
    this.indexById = new Map(this.agents.map((agent, i) => [agent.id, i]));
  }

  private noticeChange(agentId: number): void {
    if (this.stepping) return;
    const i = this.indexById.get(agentId);
    if (i === undefined) return;
    this.plans[i]!.dirty = true;
    this.wakeAt[i] = 0;
  }

  /** Does whatever is due for one agent and records when it next needs attention. */
  private visit(i: number, now: number): void {
    const agent = this.agents[i]!;
    const plan = this.plans[i]!;
    if (agent.status !== plan.seenStatus) this.adopt(agent, plan, now);
    if (plan.dirty) this.reconcileWork(agent, plan, now);
    if (!plan.present && now >= plan.arriveAt) this.arrive(agent, plan, now);
    else if (plan.present && now >= plan.leaveAt) this.leave(agent, plan, now);
    if (now >= plan.idleTimeoutAt) this.idleTimeout(agent, plan, now);
    if (plan.present) this.moveSpells(agent, plan, now);
    this.moveWork(agent, plan, now);
    // Never again this step: whatever is due next is at least one step away.
    this.wakeAt[i] = Math.max(this.nextWake(agent, plan), now + 1);
  }

  // ---- status ----------------------------------------------------------------------------------

  /** Takes the status as found (first sight, or someone else's change) as the human's situation. */
  private adopt(agent: Agent, plan: AgentPlan, now: number): void {
    if (plan.seenStatus === null) this.placeInShift(agent, plan, now);
    plan.seenStatus = agent.status;
    const online = agent.status.id === ONLINE;
    // Zendesk's idle timeout watches the session afresh after any status change.
    plan.idleTimeoutAt = Infinity;
    if (!plan.present) {
      if (online) this.maybeIdleTimeout(plan, now);
      return;
    }
    if (online) {
      plan.returnAt = Infinity;
      return;
    }
    // Someone put an agent at the desk into another status: like a human, they switch back after
    // a while, and not before they are back from idling.
    this.beginReturn(plan, Math.max(plan.idleUntil, now + this.minutes(plan, RETURN_MEAN_MIN)));
  }

  /** First sight of an agent: where in their shift the human is, from the time and their status. */
  private placeInShift(agent: Agent, plan: AgentPlan, now: number): void {
    const start = latestShiftStart(plan.shift, now);
    const atWork = agent.status.id !== OFFLINE;
    if (isOnShift(plan.shift, now)) {
      this.planShift(plan, start);
      if (atWork) {
        plan.present = true;
        this.planWorkday(plan, now);
        // A lunch time already past counts as taken.
        if (plan.lunchAt < now) plan.lunchAt = Infinity;
      } else {
        plan.arriveAt = Math.max(plan.arriveAt, now + this.minutes(plan, LOGIN_OFFSET_MEAN_MIN));
      }
      return;
    }
    this.planShift(plan, start + DAY_MS);
    if (atWork) {
      // Still logged in off shift: on the way out.
      plan.present = true;
      plan.leaveAt = now + this.minutes(plan, LOGOUT_LATE_MEAN_MIN);
    }
  }

  private planShift(plan: AgentPlan, start: number): void {
    const { prng, shift } = plan;
    plan.shiftStart = start;
    plan.arriveAt = start + (prng.exponential(LOGIN_OFFSET_MEAN_MIN) - LOGIN_EARLY_MIN) * MINUTE_MS;
    plan.leaveAt = start + shift.lengthMin * MINUTE_MS + prng.exponential(LOGOUT_LATE_MEAN_MIN * MINUTE_MS);
    plan.forgetsLogout = prng.chance(FORGETS_LOGOUT_SHARE);
  }

  private planWorkday(plan: AgentPlan, now: number): void {
    const { prng } = plan;
    plan.lunchAt = plan.shiftStart + prng.int(LUNCH_AFTER_MIN_H * 60, LUNCH_AFTER_MAX_H * 60) * MINUTE_MS;
    plan.breakAt = now + prng.exponential(BREAK_EVERY_MEAN_MIN * MINUTE_MS);
    plan.transfersOnlyAt = now + prng.exponential(TRANSFERS_ONLY_EVERY_MEAN_MIN * MINUTE_MS);
    plan.idleAt = now + prng.exponential(IDLE_EVERY_MEAN_MIN * MINUTE_MS);
    plan.idleUntil = 0;
    plan.idleTimeoutAt = Infinity;
    plan.returnAt = Infinity;
  }

  private arrive(agent: Agent, plan: AgentPlan, now: number): void {
    plan.present = true;
    this.planWorkday(plan, now);
    // Whatever the status (offline, or left over from a forgotten logout), the day starts online.
    this.setStatus(agent, plan, ONLINE, 'AGENT_STATUS_SWITCHER');
  }

  private leave(agent: Agent, plan: AgentPlan, now: number): void {
    plan.present = false;
    plan.lunchAt = plan.breakAt = plan.transfersOnlyAt = plan.idleAt = plan.returnAt = Infinity;
    plan.idleUntil = 0;
    plan.idleTimeoutAt = Infinity;
    if (!plan.forgetsLogout) this.setStatus(agent, plan, OFFLINE, 'AGENT_LOGOUT');
    else if (agent.status.id === ONLINE) this.maybeIdleTimeout(plan, now);
    this.planShift(plan, latestShiftStart(plan.shift, now) + DAY_MS);
  }

  private maybeIdleTimeout(plan: AgentPlan, now: number): void {
    if (plan.prng.chance(IDLE_TIMEOUT_SHARE)) plan.idleTimeoutAt = now + IDLE_TIMEOUT_MIN * MINUTE_MS;
  }

  private idleTimeout(agent: Agent, plan: AgentPlan, now: number): void {
    plan.idleTimeoutAt = Infinity;
    if (agent.status.id !== ONLINE) return;
    this.setStatus(agent, plan, DEFAULT_STATUS.away, 'AGENT_IDLE_TIMEOUT');
    // Back at the desk, the human notices and switches back online.
    if (plan.present) this.beginReturn(plan, Math.max(plan.idleUntil, now + MINUTE_MS));
  }

  private moveSpells(agent: Agent, plan: AgentPlan, now: number): void {
    if (plan.idleUntil !== 0 && plan.idleUntil <= now) plan.idleUntil = 0;
    if (now >= plan.returnAt) {
      plan.returnAt = Infinity;
      this.setStatus(agent, plan, ONLINE, 'AGENT_STATUS_SWITCHER');
    }
    if (agent.status.id !== ONLINE) {
      if (plan.returnAt === Infinity) this.beginReturn(plan, now + this.minutes(plan, RETURN_MEAN_MIN));
      return;
    }
    if (plan.idleUntil > now) return;
    const { prng } = plan;
    if (now >= plan.lunchAt) {
      plan.lunchAt = Infinity;
      this.beginSpell(agent, plan, now, drawLunch(prng));
    } else if (now >= plan.breakAt) {
      this.beginSpell(agent, plan, now, drawBreak(prng));
      plan.breakAt = this.resumeAt(plan, now) + prng.exponential(BREAK_EVERY_MEAN_MIN * MINUTE_MS);
    } else if (now >= plan.transfersOnlyAt) {
      const lengthMs = prng.int(TRANSFERS_ONLY_MIN_MIN, TRANSFERS_ONLY_MAX_MIN) * MINUTE_MS;
      this.beginSpell(agent, plan, now, { statusId: DEFAULT_STATUS.transfers_only, lengthMs });
      plan.transfersOnlyAt =
        this.resumeAt(plan, now) + prng.exponential(TRANSFERS_ONLY_EVERY_MEAN_MIN * MINUTE_MS);
    } else if (now >= plan.idleAt) {
      plan.idleUntil = now + this.minutes(plan, IDLE_MEAN_MIN);
      if (plan.idleUntil - now > IDLE_TIMEOUT_MIN * MINUTE_MS) this.maybeIdleTimeout(plan, now);
      plan.idleAt = plan.idleUntil + prng.exponential(IDLE_EVERY_MEAN_MIN * MINUTE_MS);
    }
  }

  private beginSpell(agent: Agent, plan: AgentPlan, now: number, spell: Spell): void {
    // Group-restricted custom statuses are only taken by agents allowed to use them.
    if (!this.setStatus(agent, plan, spell.statusId, 'AGENT_STATUS_SWITCHER')) return;
    this.beginReturn(plan, now + spell.lengthMs);
  }

  /** When the agent is next online: the end of the current spell, or now when the spell was refused. */
  private resumeAt(plan: AgentPlan, now: number): number {
    return plan.returnAt === Infinity ? now : plan.returnAt;
  }

  /** Ends the current spell at `at`; nothing else starts before it. */
  private beginReturn(plan: AgentPlan, at: number): void {
    plan.returnAt = at;
    plan.lunchAt = Math.max(plan.lunchAt, at);
    plan.breakAt = Math.max(plan.breakAt, at);
    plan.transfersOnlyAt = Math.max(plan.transfersOnlyAt, at);
    plan.idleAt = Math.max(plan.idleAt, at);
  }

  private setStatus(agent: Agent, plan: AgentPlan, statusId: number, reason: StatusReason): boolean {
    if (agent.status.id === statusId) return true;
    const status = this.store.status(statusId);
    if (!status || (status.groupIds.length > 0 && !status.groupIds.some((g) => agent.groupIds.includes(g))))
      return false;
    this.store.setUnifiedStatus(agent.id, statusId, reason);
    plan.seenStatus = agent.status;
    this.counters.statusChanges++;
    return true;
  }

  // ---- work ------------------------------------------------------------------------------------

  /** Starts tracking work the plan does not know (seeded, or added by someone else); drops work gone. */
  private reconcileWork(agent: Agent, plan: AgentPlan, now: number): void {
    plan.dirty = false;
    plan.work = plan.work.filter((w) => agent.channels.get(w.channel)?.workItems.includes(w.item));
    for (const channel of agent.channels.values()) {
      for (const item of channel.workItems) {
        if (!plan.work.some((w) => w.item === item)) this.track(plan, channel.name, item, now, true);
      }
    }
  }

  private track(
    plan: AgentPlan,
    channel: ChannelName,
    item: WorkItem,
    now: number,
    answering: boolean,
  ): void {
    const { prng } = plan;
    const at =
      item.reason !== 'OFFERED'
        ? now + prng.exponential(HANDLING_MEAN_MIN[channel] * MINUTE_MS)
        : answering
          ? now + prng.exponential(OFFER_ANSWER_MEAN_S * 1_000)
          : now + OFFER_TIMEOUT_S * 1_000;
    plan.work.push({ channel, item, at });
  }

  private moveWork(agent: Agent, plan: AgentPlan, now: number): void {
    const answering = plan.present && plan.idleUntil <= now;
    const { work, prng } = plan;
    // Backwards, because settled work leaves the list being walked.
    for (let k = work.length - 1; k >= 0; k--) {
      const pending = work[k]!;
      if (pending.at > now) continue;
      const { item, channel } = pending;
      if (item.reason === 'OFFERED') {
        if (answering && !prng.chance(OFFER_MISSED_SHARE)) {
          this.store.updateWorkItem(agent.id, channel, item.id, 'ACCEPTED');
          pending.at = now + prng.exponential(HANDLING_MEAN_MIN[channel] * MINUTE_MS);
          continue;
        }
        this.store.updateWorkItem(agent.id, channel, item.id, 'OFFER_MISSED');
        this.counters.offersMissed++;
      } else {
        this.counters.workItemsFinished++;
      }
      this.store.removeWorkItem(agent.id, channel, item.id);
      work.splice(k, 1);
    }
    for (let c = 0; c < CHANNELS.length; c++) {
      const channel = agent.channels.get(CHANNELS[c]!);
      if (!channel || channel.status !== 'online') {
        plan.arrivalAt[c] = Infinity;
        continue;
      }
      if (plan.arrivalAt[c]! > now) {
        if (plan.arrivalAt[c] === Infinity)
          plan.arrivalAt[c] = now + prng.exponential(ARRIVAL_MEAN_MIN[channel.name] * MINUTE_MS);
        continue;
      }
      plan.arrivalAt[c] = now + prng.exponential(ARRIVAL_MEAN_MIN[channel.name] * MINUTE_MS);
      this.route(agent, plan, channel, now, answering);
    }
  }

  /** Zendesk's routing hands this channel a piece of work, if it has room or a supervisor insists. */
  private route(agent: Agent, plan: AgentPlan, channel: AgentChannel, now: number, answering: boolean): void {
    const manual = plan.prng.chance(MANUAL_ASSIGNMENT_SHARE[channel.name]);
    const offered = OFFERED_CHANNELS.has(channel.name);
    if (!manual) {
      if (channel.workItems.length >= this.store.maxCapacity(agent, channel.name)) return;
      // Tickets wait in the queue for someone working; offers ring regardless and are missed.
      if (!offered && !answering) return;
    }
    const reason: WorkItemReason = manual ? 'MANUAL_ASSIGNED' : offered ? 'OFFERED' : 'ASSIGNED';
    const item = this.store.addWorkItem(agent.id, channel.name, { reason });
    this.counters.workItemsAdded++;
    this.track(plan, channel.name, item, now, answering);
  }

  private nextWake(agent: Agent, plan: AgentPlan): number {
    let wake = Math.min(plan.present ? plan.leaveAt : plan.arriveAt, plan.idleTimeoutAt, plan.returnAt);
    if (plan.present && agent.status.id === ONLINE) {
      wake =
        plan.idleUntil > 0
          ? Math.min(wake, plan.idleUntil)
          : Math.min(wake, plan.lunchAt, plan.breakAt, plan.transfersOnlyAt, plan.idleAt);
    }
    // Indexed loops: this runs on every visit, and iterators would allocate.
    for (let c = 0; c < plan.arrivalAt.length; c++) wake = Math.min(wake, plan.arrivalAt[c]!);
    for (let k = 0; k < plan.work.length; k++) wake = Math.min(wake, plan.work[k]!.at);
    return wake;
  }

  /** An exponential duration with the given mean in minutes, at least a minute. */
  private minutes(plan: AgentPlan, meanMin: number): number {
    return Math.max(MINUTE_MS, plan.prng.exponential(meanMin * MINUTE_MS));
  }
}

function emptyCounters(): ActivityCounters {
  return { steps: 0, workItemsAdded: 0, workItemsFinished: 0, offersMissed: 0, statusChanges: 0 };
}
