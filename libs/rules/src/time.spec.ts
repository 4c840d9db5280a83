import { inCalendar, localTime, parseClock, parseDuration, timeBetween, type Calendar } from './time';

describe('durations and clock times', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1d2h3m4s', 93_784_000],
  ])('parses %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '15', '15 minutes', '1m1h', '-5m', '1.5h'])('refuses %j', (text) =>
    expect(parseDuration(text)).toBeNull(),
  );

  it('parses HH:MM and refuses anything else', () => {
    expect(parseClock('00:00')).toBe(0);
    expect(parseClock('17:30')).toBe(1_050);
    expect(parseClock('24:00')).toBe(1_440);
    for (const bad of ['7:30', '24:01', '12:60', 'noon']) expect(parseClock(bad)).toBeNull();
  });

  it('tells whether a time is inside a window, across midnight too', () => {
    expect(timeBetween('08:00', '08:00', '18:00')).toBe(true);
    expect(timeBetween('18:00', '08:00', '18:00')).toBe(false);
    expect(timeBetween('23:30', '22:00', '06:00')).toBe(true);
    expect(timeBetween('05:59', '22:00', '06:00')).toBe(true);
    expect(timeBetween('12:00', '22:00', '06:00')).toBe(false);
  });
});

describe('local time across DST (Europe/Berlin)', () => {
  const zone = 'Europe/Berlin';

  it('skips the hour that does not exist in spring', () => {
    // 2026-03-29: clocks go from 02:00 to 03:00 CET→CEST at 01:00 UTC.
    expect(localTime(Date.parse('2026-03-29T00:59:00Z'), zone).time).toBe('01:59');
    expect(localTime(Date.parse('2026-03-29T01:00:00Z'), zone).time).toBe('03:00');
  });

  it('repeats the hour in autumn', () => {
    // 2026-10-25: 03:00 CEST goes back to 02:00 CET at 01:00 UTC.
    expect(localTime(Date.parse('2026-10-25T00:30:00Z'), zone).time).toBe('02:30');
    expect(localTime(Date.parse('2026-10-25T01:30:00Z'), zone).time).toBe('02:30');
    expect(localTime(Date.parse('2026-10-25T01:30:00Z'), zone).weekday).toBe('sun');
  });
});

describe('calendars', () => {
  const zone = 'Europe/Berlin';
  const business: Calendar = {
    name: 'business-hours',
    weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: 8 * 60, to: 18 * 60 }],
    holidays: new Set(['2026-12-25']),
  };
  const night: Calendar = {
    name: 'night',
    weekly: [{ days: ['fri'], from: 22 * 60, to: 6 * 60 }],
    holidays: new Set(),
  };

  it('follows local time on both sides of a DST change', () => {
    // Friday 2026-03-27 08:00 local is 07:00 UTC (CET); Monday 2026-03-30 08:00 local is 06:00 UTC (CEST).
    expect(inCalendar(business, Date.parse('2026-03-27T06:59:00Z'), zone)).toBe(false);
    expect(inCalendar(business, Date.parse('2026-03-27T07:00:00Z'), zone)).toBe(true);
    expect(inCalendar(business, Date.parse('2026-03-30T05:59:00Z'), zone)).toBe(false);
    expect(inCalendar(business, Date.parse('2026-03-30T06:00:00Z'), zone)).toBe(true);
    expect(inCalendar(business, Date.parse('2026-03-30T15:59:00Z'), zone)).toBe(true);
    expect(inCalendar(business, Date.parse('2026-03-30T16:00:00Z'), zone)).toBe(false);
  });

  it('is closed on holidays and at weekends', () => {
    expect(inCalendar(business, Date.parse('2026-12-25T10:00:00Z'), zone)).toBe(false);
    expect(inCalendar(business, Date.parse('2026-12-24T10:00:00Z'), zone)).toBe(true);
    expect(inCalendar(business, Date.parse('2026-12-26T10:00:00Z'), zone)).toBe(false);
  });

  it('runs an overnight window into the next day', () => {
    expect(inCalendar(night, Date.parse('2026-11-27T21:30:00Z'), zone)).toBe(true); // Fri 22:30
    expect(inCalendar(night, Date.parse('2026-11-28T04:30:00Z'), zone)).toBe(true); // Sat 05:30
    expect(inCalendar(night, Date.parse('2026-11-28T05:30:00Z'), zone)).toBe(false); // Sat 06:30
    expect(inCalendar(night, Date.parse('2026-11-26T21:30:00Z'), zone)).toBe(false); // Thu 22:30
  });
});
