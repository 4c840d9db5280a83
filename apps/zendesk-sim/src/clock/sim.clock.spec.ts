import { SimClock } from './sim.clock';

describe('SimClock', () => {
  let clock: SimClock;

  beforeEach(() => {
    clock = new SimClock();
  });
  afterEach(() => clock.cancelAll());

  it('follows wall time until frozen', () => {
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(1_000);
    clock.freeze(1_000);
    expect(clock.now()).toBe(1_000);
    expect(clock.isFrozen()).toBe(true);
  });

  it('fires due timers in order on advance, each seeing its own due time', () => {
    clock.freeze(0);
    const fired: Array<[string, number]> = [];
    clock.schedule(300, () => fired.push(['c', clock.now()]));
    clock.schedule(100, () => fired.push(['a', clock.now()]));
    clock.schedule(100, () => fired.push(['b', clock.now()]));
    clock.advance(250);
    expect(fired).toEqual([
      ['a', 100],
      ['b', 100],
    ]);
    expect(clock.now()).toBe(250);
    clock.advance(50);
    expect(fired.map(([name]) => name)).toEqual(['a', 'b', 'c']);
  });

  it('runs timers that timers schedule within the same advance', () => {
    clock.freeze(0);
    const ticks: number[] = [];
    const tick = () => {
      ticks.push(clock.now());
      clock.schedule(10, tick);
    };
    clock.schedule(10, tick);
    clock.advance(35);
    expect(ticks).toEqual([10, 20, 30]);
  });

  it('does not fire cancelled timers', () => {
    clock.freeze(0);
    let fired = false;
    clock.schedule(10, () => (fired = true)).cancel();
    clock.advance(20);
    expect(fired).toBe(false);
  });

  it('resumes on wall time from the simulated time', () => {
    clock.freeze(5_000);
    clock.resume();
    expect(clock.isFrozen()).toBe(false);
    expect(clock.now() - 5_000).toBeLessThan(1_000);
  });

  it('refuses to advance backwards', () => {
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});
