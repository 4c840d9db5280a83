import { CUSTOM_STATUS } from '../store/account.seed';
import { Prng } from '../store/prng';
import {
  agentSeed,
  BREAK_KINDS,
  drawBreak,
  drawLunch,
  drawShift,
  isOnShift,
  latestShiftStart,
  MINUTE_MS,
  OVERRUN_SHARE,
  type Shift,
} from './agent-behaviour';

const DAY = Date.parse('2025-03-14T00:00:00Z');
const HOUR_MS = 3_600_000;
const at = (hhmm: string, day = DAY) => day + Date.parse(`1970-01-01T${hhmm}:00Z`);

describe('shifts', () => {
  const shifts: Shift[] = [];
  const prng = new Prng(11);
  for (let i = 0; i < 20_000; i++) shifts.push(drawShift(prng));
  const onShiftAt = (hour: number) =>
    shifts.filter((s) => isOnShift(s, DAY + hour * HOUR_MS)).length / shifts.length;

  it('keeps some agents on shift at every hour, most of them in the European day', () => {
    const shares = Array.from({ length: 24 }, (_, hour) => onShiftAt(hour));
    expect(Math.min(...shares)).toBeGreaterThan(0.1);
    expect(Math.max(...shares)).toBeLessThan(0.75);
    const busiest = shares.indexOf(Math.max(...shares));
    expect(busiest).toBeGreaterThanOrEqual(8);
    expect(busiest).toBeLessThanOrEqual(16);
    expect(onShiftAt(3)).toBeLessThan(onShiftAt(10) / 2);
  });

  it('starts shifts on the quarter hour', () => {
    expect(shifts.filter((s) => s.startMin % 15 !== 0)).toEqual([]);
  });

  it('places a night shift across midnight', () => {
    const night: Shift = { startMin: 22 * 60, lengthMin: 8 * 60 };
    expect(latestShiftStart(night, at('01:00'))).toBe(at('22:00', DAY - 86_400_000));
    expect(isOnShift(night, at('01:00'))).toBe(true);
    expect(isOnShift(night, at('05:59'))).toBe(true);
    expect(isOnShift(night, at('06:00'))).toBe(false);
    expect(isOnShift(night, at('21:59'))).toBe(false);
    expect(isOnShift(night, at('22:00'))).toBe(true);
  });

  it("gives each agent a seed of its own that depends on the simulation's seed", () => {
    const seeds = new Set<number>(
      [1, 2, 3].flatMap((seed) => [0, 1, 2].map((i) => agentSeed(seed, 360_099_100_001 + i))),
    );
    expect(seeds.size).toBe(9);
    const manyIds = new Set(Array.from({ length: 10_000 }, (_, i) => agentSeed(42, 360_099_100_001 + i)));
    expect(manyIds.size).toBe(10_000);
    expect(agentSeed(5, 360_099_100_001)).toBe(agentSeed(5, 360_099_100_001));
  });
});

describe('breaks', () => {
  const prng = new Prng(3);
  const breaks = Array.from({ length: 10_000 }, () => drawBreak(prng));

  it('mostly takes short breaks, sometimes coaching, training or back office', () => {
    const share = (statusId: number) => breaks.filter((b) => b.statusId === statusId).length / breaks.length;
    expect(share(CUSTOM_STATUS.break)).toBeGreaterThan(0.7);
    for (const kind of BREAK_KINDS) expect(share(kind.statusId)).toBeGreaterThan(0.02);
  });

  it('keeps breaks within their planned lengths, except a few that overrun beyond them', () => {
    const kindOf = (statusId: number) => BREAK_KINDS.find((k) => k.statusId === statusId)!;
    const short = breaks.filter((b) => b.lengthMs < kindOf(b.statusId).minMin * MINUTE_MS);
    const overran = breaks.filter((b) => b.lengthMs > kindOf(b.statusId).maxMin * MINUTE_MS);
    expect(short).toEqual([]);
    // Some overruns stay inside the planned range, so fewer than OVERRUN_SHARE exceed it.
    expect(overran.length / breaks.length).toBeGreaterThan(OVERRUN_SHARE / 3);
    expect(overran.length / breaks.length).toBeLessThan(OVERRUN_SHARE);
  });

  it('plans lunch for half an hour or three quarters', () => {
    const lunches = Array.from({ length: 1_000 }, () => drawLunch(prng));
    expect(lunches.every((l) => l.statusId === CUSTOM_STATUS.lunch)).toBe(true);
    expect(lunches.every((l) => l.lengthMs >= 30 * MINUTE_MS)).toBe(true);
    expect(lunches.some((l) => l.lengthMs === 45 * MINUTE_MS)).toBe(true);
  });
});
