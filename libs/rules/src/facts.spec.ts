import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FACTS } from './facts';
import { OPERATORS } from './operators';
import { STANDINGS } from './rule-set.runner';

const GUIDE = readFileSync(join(__dirname, '..', '..', '..', 'rules', 'README.md'), 'utf8');

describe('the fact catalogue', () => {
  it('has unique names', () => {
    expect(new Set(FACTS.map((f) => f.name)).size).toBe(FACTS.length);
  });

  it('gives every fact an example of its own type', () => {
    const wrong = FACTS.filter((f) => {
      const scalar = f.type.replace('[]', '');
      const values = f.type.endsWith('[]') ? (Array.isArray(f.example) ? f.example : [null]) : [f.example];
      return (
        !values.every((v) => typeof v === scalar) ||
        (f.values !== undefined && !f.values.includes(f.example as string))
      );
    });
    expect(wrong.map((f) => f.name)).toEqual([]);
  });

  it("is documented in the rule author's guide, row by row, with every operator and planner standing", () => {
    const rows = new Set([...GUIDE.matchAll(/^\| `([^`]+)`\s*\|/gm)].map((m) => m[1]));
    expect(FACTS.map((f) => f.name).filter((name) => !rows.has(name))).toEqual([]);
    expect([...OPERATORS.keys()].filter((name) => !rows.has(name))).toEqual([]);
    expect(Object.keys(STANDINGS).filter((name) => !rows.has(name))).toEqual([]);
    const known = new Set([...FACTS.map((f) => f.name), ...OPERATORS.keys(), ...Object.keys(STANDINGS)]);
    expect([...rows].filter((name) => !known.has(name!) && !name!.endsWith('.yaml'))).toEqual([]);
  });
});
