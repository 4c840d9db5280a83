import { API_BOUNDS, factsBoundProblem, parseIsoTime, tooDeepAt } from './api-input.bounds';

/** `depth` objects nested, built as text and parsed: a value this deep overflows recursive code. */
const nested = (depth: number): unknown => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);

describe('tooDeepAt', () => {
  it('accepts a value nested up to the bound and names where it goes past it', () => {
    expect(tooDeepAt({ facts: { x: [1, { y: 2 }] } }, 4)).toBeNull();
    expect(tooDeepAt({ facts: { x: [1, { y: { z: 3 } }] } }, 4)).toBe('facts.x[1].y');
    expect(tooDeepAt(nested(16), 16)).toBeNull();
    expect(tooDeepAt(nested(17), 16)).toBe(Array(16).fill('a').join('.'));
  });

  it('walks a value 100,000 deep without overflowing the stack', () => {
    expect(tooDeepAt(JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), 16)).toBe(
      Array(16).fill('[0]').join(''),
    );
    expect(tooDeepAt({ facts: nested(5_000) }, API_BOUNDS.maxBodyDepth)).toMatch(/^facts\.a\.a/);
  });

  it('treats scalars and null as leaves', () => {
    expect(tooDeepAt(null, 0)).toBeNull();
    expect(tooDeepAt('text', 0)).toBeNull();
    expect(tooDeepAt({}, 0)).toBe('(the body)');
  });
});

describe('factsBoundProblem', () => {
  it('accepts facts within every bound', () => {
    expect(factsBoundProblem({ 'status.name': 'Break', groups: [1, 2, 3] })).toBeNull();
  });

  it('names the bound and the fact past it', () => {
    const many = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`f${i}`, 1]));
    expect(factsBoundProblem(many)).toBe('facts: at most 200 facts (got 201)');
    expect(factsBoundProblem({ ['n'.repeat(201)]: 1 })).toBe(
      'facts: a fact name is at most 200 characters (got one of 201, starting "nnnnnnnnnnnnnnnnnnnn")',
    );
    expect(factsBoundProblem({ 'status.name': 'x'.repeat(1_001) })).toBe(
      'facts.status.name: a text value is at most 1000 characters (got 1001)',
    );
    expect(factsBoundProblem({ tags: ['ok', 'x'.repeat(1_001)] })).toBe(
      'facts.tags: a text value is at most 1000 characters (got 1001)',
    );
    expect(factsBoundProblem({ tags: Array(1_001).fill('a') })).toBe(
      'facts.tags: a list is at most 1000 items (got 1001)',
    );
  });
});

describe('parseIsoTime', () => {
  const time = (text: string) => parseIsoTime(text, { dateOnly: false });

  it('reads the extended forms with an offset', () => {
    expect(time('2026-11-23T10:00:00Z')).toBe(Date.UTC(2026, 10, 23, 10));
    expect(time('2026-11-23T10:00Z')).toBe(Date.UTC(2026, 10, 23, 10));
    expect(time('2026-11-23T10:00:00.250+01:00')).toBe(Date.UTC(2026, 10, 23, 9, 0, 0, 250));
    expect(time('2026-11-23T10:00:00-05:30')).toBe(Date.UTC(2026, 10, 23, 15, 30));
    expect(time('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
  });

  it('reads a date as its midnight in UTC only where dates are allowed', () => {
    expect(parseIsoTime('2026-11-23', { dateOnly: true })).toBe(Date.UTC(2026, 10, 23));
    expect(time('2026-11-23')).toBeNull();
  });

  it.each([
    ['basic format', '20991231T000000Z'],
    ['no offset', '2026-11-23T10:00:00'],
    ['a day past the end of the month', '2026-02-30T00:00:00Z'],
    ['29 February of a common year', '2026-02-29T00:00:00Z'],
    ['day zero', '2026-01-00T00:00:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['hour 24', '2026-11-23T24:00:00Z'],
    ['a leap second', '2026-12-31T23:59:60Z'],
    ['an offset of 24 hours', '2026-11-23T10:00:00+24:00'],
    ['a year before 1970', '1969-12-31T23:59:59Z'],
    ['a five-digit year', '+275760-01-01T00:00:00Z'],
    ['a week date', '2026-W48-1'],
    ['an ordinal date', '2026-327'],
    ['spaces', ' 2026-11-23T10:00:00Z'],
    ['a space for T', '2026-11-23 10:00:00Z'],
    ['lower case', '2026-11-23t10:00:00z'],
  ])('refuses %s (%s)', (_, text) => {
    expect(parseIsoTime(text, { dateOnly: true })).toBeNull();
  });
});
