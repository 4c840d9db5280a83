import { SimClock } from '../clock/sim.clock';
import { RateLimiter } from './rate.limiter';

describe('RateLimiter', () => {
  const clock = new SimClock();
  let limiter: RateLimiter;

  beforeEach(() => {
    clock.freeze(0);
    limiter = new RateLimiter(clock);
    limiter.configure(3);
  });

  it('admits `limit` requests in any sliding 60 s window', () => {
    expect([limiter.take(), limiter.take(), limiter.take()].map((d) => d.remaining)).toEqual([2, 1, 0]);
    expect(limiter.take()).toEqual({ allowed: false, limit: 3, remaining: 0, retryAfterS: 60 });
    clock.advance(59_999);
    expect(limiter.take().allowed).toBe(false);
    clock.advance(1);
    expect(limiter.take().allowed).toBe(true);
  });

  it('answers Retry-After with the seconds until the oldest request leaves the window, at least 1', () => {
    limiter.take();
    clock.advance(20_000);
    limiter.take();
    limiter.take();
    const refused = limiter.take();
    expect(refused).toMatchObject({ allowed: false, retryAfterS: 40 });
    clock.advance(39_500);
    expect(limiter.take()).toMatchObject({ allowed: false, retryAfterS: 1 });
  });

  it('keeps counting correctly over many windows', () => {
    limiter.configure(100);
    let admitted = 0;
    for (let t = 0; t < 600_000; t += 100) {
      clock.set(t);
      if (limiter.take().allowed) admitted++;
    }
    // 10 minutes at 100/min: the first window fills at once, then exactly 100 per later minute.
    expect(admitted).toBe(1_000);
    expect(limiter.used()).toBe(100);
  });
});
