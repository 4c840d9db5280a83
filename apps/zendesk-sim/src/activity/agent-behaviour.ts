import { CUSTOM_STATUS } from '../store/account.seed';
import type { ChannelName } from '../store/account.model';
import type { Prng } from '../store/prng';

/** One minute in milliseconds. */
export const MINUTE_MS = 60_000;
/** One day in milliseconds; shifts repeat daily in the simulator clock's UTC time of day. */
export const DAY_MS = 86_400_000;

// ---- shifts ------------------------------------------------------------------------------------

/** A roster pattern: which share of agents work it, when (UTC) its shifts may start, how long they last. */
export interface ShiftPattern {
  readonly share: number;
  readonly earliestStartH: number;
  readonly latestStartH: number;
  readonly lengthH: number;
}

/**
 * Early, day, late and night rosters. Starts are spread so that some agents are on shift at every
 * hour, most in the European working day, fewest between about 02:00 and 05:00 UTC.
 */
export const SHIFT_PATTERNS: readonly ShiftPattern[] = [
  { share: 0.12, earliestStartH: 5, latestStartH: 6.5, lengthH: 8 },
  { share: 0.43, earliestStartH: 7, latestStartH: 9.5, lengthH: 8.5 },
  { share: 0.3, earliestStartH: 12, latestStartH: 14.5, lengthH: 8.5 },
  { share: 0.15, earliestStartH: 20.5, latestStartH: 23, lengthH: 8 },
];

/** Rosters start on the quarter hour. */
const SHIFT_START_STEP_MIN = 15;

/** One agent's daily shift: when it starts (minutes after 00:00 UTC) and how long it lasts. */
export interface Shift {
  readonly startMin: number;
  readonly lengthMin: number;
}

/** Draws an agent's shift from the roster patterns. */
export function drawShift(prng: Prng): Shift {
  let roll = prng.next();
  let pattern = SHIFT_PATTERNS[SHIFT_PATTERNS.length - 1]!;
  for (const candidate of SHIFT_PATTERNS) {
    if (roll < candidate.share) {
      pattern = candidate;
      break;
    }
    roll -= candidate.share;
  }
  const slots = Math.floor(((pattern.latestStartH - pattern.earliestStartH) * 60) / SHIFT_START_STEP_MIN);
  return {
    startMin: pattern.earliestStartH * 60 + prng.int(0, slots) * SHIFT_START_STEP_MIN,
    lengthMin: pattern.lengthH * 60,
  };
}

/** The start (epoch ms) of the latest shift that began at or before `now`. */
export function latestShiftStart(shift: Shift, now: number): number {
  const offset = shift.startMin * MINUTE_MS;
  return Math.floor((now - offset) / DAY_MS) * DAY_MS + offset;
}

/** Whether `now` falls inside one of the agent's shifts. */
export function isOnShift(shift: Shift, now: number): boolean {
  return now - latestShiftStart(shift, now) < shift.lengthMin * MINUTE_MS;
}

/** A seed for one agent's own generator, so each agent's day depends only on the seed and its id. */
export function agentSeed(seed: number, agentId: number): number {
  // Mixed between the parts, or seed and id bits cancel out (seed 1 + agent k = seed 2 + agent k').
  const low = agentId % 0x1_0000_0000;
  const high = Math.floor(agentId / 0x1_0000_0000);
  return mix32(mix32(mix32(seed ^ 0xac71_7e00) ^ low) ^ high);
}

/** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. */
function mix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

// ---- arriving and leaving ----------------------------------------------------------------------

/** Agents may log in this many minutes before their shift starts... */
export const LOGIN_EARLY_MIN = 5;
/** ...by an exponential offset with this mean from that earliest moment (so most are within minutes). */
export const LOGIN_OFFSET_MEAN_MIN = 7;
/** Mean minutes after shift end before an agent logs out. */
export const LOGOUT_LATE_MEAN_MIN = 4;
/** Share of shifts after which the agent leaves without going offline. */
export const FORGETS_LOGOUT_SHARE = 0.07;
/** Mean minutes before an agent whose status someone else changed during their shift switches back online. */
export const RETURN_MEAN_MIN = 10;

// ---- breaks ------------------------------------------------------------------------------------

/** Lunch starts this many hours into a shift (uniformly between the two)... */
export const LUNCH_AFTER_MIN_H = 3.5;
export const LUNCH_AFTER_MAX_H = 5;
/** ...and is planned for one of these lengths, in minutes. */
export const LUNCH_LENGTHS_MIN: readonly number[] = [30, 30, 45];
/** Mean minutes of work between two other breaks. */
export const BREAK_EVERY_MEAN_MIN = 150;
/** Share of breaks and lunches that overrun, and the mean overrun in minutes. */
export const OVERRUN_SHARE = 0.15;
export const OVERRUN_MEAN_MIN = 8;

/** A kind of break: the custom status it uses, how often it is chosen, its planned length in minutes. */
export interface BreakKind {
  readonly statusId: number;
  readonly weight: number;
  readonly minMin: number;
  readonly maxMin: number;
}

/** Breaks other than lunch; Back office is only open to some groups, the others to everyone. */
export const BREAK_KINDS: readonly BreakKind[] = [
  { statusId: CUSTOM_STATUS.break, weight: 0.78, minMin: 10, maxMin: 15 },
  { statusId: CUSTOM_STATUS.coaching, weight: 0.1, minMin: 20, maxMin: 40 },
  { statusId: CUSTOM_STATUS.training, weight: 0.05, minMin: 45, maxMin: 90 },
  { statusId: CUSTOM_STATUS.backOffice, weight: 0.07, minMin: 20, maxMin: 60 },
];

/** A spell in a status other than online, and how long it will actually last. */
export interface Spell {
  readonly statusId: number;
  readonly lengthMs: number;
}

/** Draws a break other than lunch, overrun included. */
export function drawBreak(prng: Prng): Spell {
  let roll = prng.next();
  let kind = BREAK_KINDS[0]!;
  for (const candidate of BREAK_KINDS) {
    if (roll < candidate.weight) {
      kind = candidate;
      break;
    }
    roll -= candidate.weight;
  }
  return {
    statusId: kind.statusId,
    lengthMs: withOverrun(prng, prng.int(kind.minMin, kind.maxMin) * MINUTE_MS),
  };
}

/** Draws a lunch, overrun included. */
export function drawLunch(prng: Prng): Spell {
  return {
    statusId: CUSTOM_STATUS.lunch,
    lengthMs: withOverrun(prng, prng.pick(LUNCH_LENGTHS_MIN) * MINUTE_MS),
  };
}

function withOverrun(prng: Prng, plannedMs: number): number {
  return prng.chance(OVERRUN_SHARE) ? plannedMs + prng.exponential(OVERRUN_MEAN_MIN * MINUTE_MS) : plannedMs;
}

// ---- transfers only and idling -----------------------------------------------------------------

/** Mean minutes online between two spells of transfers only, and their length range in minutes. */
export const TRANSFERS_ONLY_EVERY_MEAN_MIN = 1_200;
export const TRANSFERS_ONLY_MIN_MIN = 5;
export const TRANSFERS_ONLY_MAX_MIN = 20;
/** Mean minutes online between two spells of idling (online, at no one's service), and their mean length. */
export const IDLE_EVERY_MEAN_MIN = 300;
export const IDLE_MEAN_MIN = 15;
/** Zendesk's idle timeout: an inactive agent still online this long is set away (AGENT_IDLE_TIMEOUT). */
export const IDLE_TIMEOUT_MIN = 10;
/** Share of idle spells (and of forgotten logouts) in which the agent's session is inactive, so the timeout applies. */
export const IDLE_TIMEOUT_SHARE = 0.5;

// ---- work --------------------------------------------------------------------------------------

/** Mean minutes between work routed to one agent's online channel (while below capacity). */
export const ARRIVAL_MEAN_MIN: Readonly<Record<ChannelName, number>> = {
  messaging: 4,
  support: 12,
  talk: 10,
};
/** Mean handling time per channel in minutes: calls are short, chats medium, tickets long. */
export const HANDLING_MEAN_MIN: Readonly<Record<ChannelName, number>> = {
  messaging: 12,
  support: 35,
  talk: 6,
};
/** Share of new work a supervisor assigns by hand, which ignores capacity (never calls). */
export const MANUAL_ASSIGNMENT_SHARE: Readonly<Record<ChannelName, number>> = {
  messaging: 0.02,
  support: 0.05,
  talk: 0,
};
/** Channels whose work is offered to the agent (accepted or missed) rather than assigned. */
export const OFFERED_CHANNELS: ReadonlySet<ChannelName> = new Set<ChannelName>(['messaging', 'talk']);
/** Mean seconds an agent at the desk takes to accept an offer. */
export const OFFER_ANSWER_MEAN_S = 8;
/** An offer nobody answers is missed after this many seconds. */
export const OFFER_TIMEOUT_S = 30;
/** Share of offers missed even by an agent at the desk. */
export const OFFER_MISSED_SHARE = 0.03;
