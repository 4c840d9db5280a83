import { CUSTOM_OPERATORS } from './operators';

const op = (name: string) => CUSTOM_OPERATORS.find((o) => o.name === name)!.evaluate!;

describe('custom operators', () => {
  it('timeBetween compares local clock times, across midnight too', () => {
    const between = op('timeBetween');
    expect(between('09:00', ['08:00', '18:00'])).toBe(true);
    expect(between('18:00', ['08:00', '18:00'])).toBe(false);
    expect(between('23:00', ['22:00', '06:00'])).toBe(true);
    expect(between('07:00', ['22:00', '06:00'])).toBe(false);
    expect(between(undefined, ['08:00', '18:00'])).toBe(false);
    expect(between('09:00', '08:00-18:00')).toBe(false);
  });

  it('atLeastDuration and lessThanDuration compare minute facts with durations', () => {
    expect(op('atLeastDuration')(15, '15m')).toBe(true);
    expect(op('atLeastDuration')(14.9, '15m')).toBe(false);
    expect(op('atLeastDuration')(90, '1h30m')).toBe(true);
    expect(op('lessThanDuration')(14, '15m')).toBe(true);
    expect(op('lessThanDuration')(15, '15m')).toBe(false);
    // A missing fact or a malformed duration never matches.
    expect(op('atLeastDuration')(undefined, '15m')).toBe(false);
    expect(op('atLeastDuration')(100, 'soon')).toBe(false);
    expect(op('lessThanDuration')(1, 'soon')).toBe(false);
  });
});
