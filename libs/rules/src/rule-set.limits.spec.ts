import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { didYouMean, formatProblem, RuleSetError } from './rule-set.errors';
import { readRuleFiles } from './rule-set.files';
import { DEFAULT_RULE_LIMITS, formatBytes, type RuleLimits } from './rule-set.limits';
import { parseRuleSet } from './rule-set.parser';

const rule = (name: string, when = '{ fact: idleMinutes, operator: greaterThan, value: 15 }') =>
  `  - { name: ${name}, when: ${when}, then: { set_status: away } }\n`;
const rules = (count: number, prefix = 'r') =>
  Array.from({ length: count }, (_, i) => rule(`${prefix}${i}`)).join('');

function problemsOf(text: string, limits: Partial<RuleLimits> = {}, path = 'big.yaml'): string[] {
  try {
    parseRuleSet([{ path, text }], { ...DEFAULT_RULE_LIMITS, ...limits });
  } catch (error) {
    if (error instanceof RuleSetError) return error.problems.map(formatProblem);
    throw error;
  }
  return [];
}

describe('rule set limits', () => {
  it('refuses a file with more rules than one file may have, at the first rule too many', () => {
    expect(problemsOf(`rules:\n${rules(4)}`, { maxRulesPerFile: 3 })).toEqual([
      'big.yaml:5:5: this file has 4 rules, more than the 3 one file may have (this is rule 4): split it into several files',
    ]);
    expect(problemsOf(`rules:\n${rules(3)}`, { maxRulesPerFile: 3 })).toEqual([]);
  });

  it('refuses a set with more rules in all than allowed, naming the first rule too many', () => {
    const files = [
      { path: 'a.yaml', text: `rules:\n${rules(2, 'a')}` },
      { path: 'b.yaml', text: `rules:\n${rules(2, 'b')}` },
    ];
    expect(() => parseRuleSet(files, { ...DEFAULT_RULE_LIMITS, maxRules: 3 })).toThrow(
      'b.yaml:3:5: the rule set has more than the 3 rules allowed (this is rule 4; the files after this one were not read)',
    );
    expect(parseRuleSet(files, { ...DEFAULT_RULE_LIMITS, maxRules: 4 }).rules).toHaveLength(4);
  });

  it('refuses conditions nested deeper than allowed, where the level too deep starts', () => {
    const nested = (levels: number) =>
      '{ not: '.repeat(levels - 1) +
      '{ fact: idleMinutes, operator: greaterThan, value: 15 }' +
      ' }'.repeat(levels - 1);
    expect(problemsOf(`rules:\n${rule('deep', nested(4))}`, { maxConditionDepth: 4 })).toEqual([]);
    expect(problemsOf(`rules:\n${rule('deep', nested(5))}`, { maxConditionDepth: 4 })).toEqual([
      'big.yaml:2:53: conditions nest more than 4 levels deep (all, any and not each add one)',
    ]);
  });

  it('refuses long names and long text, and reads nothing else of that file', () => {
    expect(problemsOf(`rules:\n${rule('n'.repeat(11))}`, { maxNameLength: 10 })).toEqual([
      'big.yaml:2:13: a rule name of 11 characters is longer than the 10 allowed',
    ]);
    expect(problemsOf(`statuses: [${'s'.repeat(11)}]\nrules:\n${rule('a')}`, { maxNameLength: 10 })).toEqual([
      'big.yaml:1:12: a status name of 11 characters is longer than the 10 allowed',
    ]);
    expect(problemsOf(`rules:\n  - { ${'k'.repeat(11)}: 1 }\n`, { maxNameLength: 10 })).toEqual([
      'big.yaml:2:7: a key of 11 characters is longer than the 10 allowed',
    ]);
    const described = `rules:\n  - { name: a, description: ${'d'.repeat(21)}, when: { fact: idleMinutes, operator: greaterThan, value: 1 }, then: { set_status: nope } }\n`;
    expect(problemsOf(described, { maxStringLength: 20 })).toEqual([
      'big.yaml:2:29: text of 21 characters is longer than the 20 allowed',
    ]);
  });

  it('follows YAML aliases, but not into an expansion bomb or a cycle', () => {
    const shared = `rules:
  - { name: a, when: &idle { fact: idleMinutes, operator: greaterThan, value: 15 }, then: { set_status: away } }
  - { name: b, when: { not: *idle }, then: { set_status: away } }
`;
    expect(parseRuleSet([{ path: 'shared.yaml', text: shared }]).rules[1]!.when).toEqual({
      not: { fact: 'idleMinutes', operator: 'greaterThan', value: 15 },
    });
    const laughs = `a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
`;
    expect(problemsOf(laughs)).toEqual([
      'big.yaml:2:8: YAML aliases (*name) expand the file by 12300 nodes, more than the 10000 allowed',
    ]);
    expect(problemsOf('rules: &r [*r]\n')).toEqual([
      'big.yaml:1:12: YAML aliases (*name) expand the file by endless nodes, more than the 10000 allowed',
    ]);
    expect(problemsOf('rules: *nope\n')).toEqual([
      'big.yaml:1:8: YAML: alias *nope names no anchor (&nope) set before it',
    ]);
  });

  it('refuses brackets nested past what the YAML reader can take, without reading them', () => {
    expect(problemsOf(`rules: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`)).toEqual([
      'big.yaml:1:108: YAML: brackets nest more than 100 levels deep',
    ]);
  });

  it('reports each conflicting rule once, with the first rule it conflicts with', () => {
    // Every rule conflicts with the first (same priority, another status): one problem for each,
    // not one for every pair.
    const many = Array.from(
      { length: 2_000 },
      (_, i) =>
        `  - { name: r${i}, when: { fact: idleMinutes, operator: greaterThan, value: ${i} }, then: { set_status: ${i === 0 ? 'offline' : 'away'} } }\n`,
    ).join('');
    const problems = problemsOf(`rules:\n${many}`, { maxRulesPerFile: 2_000 });
    expect(problems).toHaveLength(1_999);
    expect(problems[0]).toBe(
      'big.yaml:3:5: rules "r0" (big.yaml:2) and "r1" have the same priority 0 and ask for different things for the same agents: give the one that should win a higher priority',
    );
  });

  it('makes no guess for a long word, and compares only candidates of a close length', () => {
    expect(didYouMean('x'.repeat(100_000), ['x'.repeat(100_000)])).toBeNull();
    expect(didYouMean('idelMinutes', ['idleMinutes', 'i'.repeat(50_000)])).toBe('idleMinutes');
  });

  describe('reading files', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rules-limits-'));
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it('refuses a file larger than allowed without reading it', async () => {
      await writeFile(join(dir, 'big.yaml'), `rules:\n${rules(100)}`);
      await writeFile(join(dir, 'small.yaml'), `rules:\n${rules(1, 's')}`);
      await expect(readRuleFiles(dir, { ...DEFAULT_RULE_LIMITS, maxFileBytes: 1_024 })).rejects.toThrow(
        `${join(dir, 'big.yaml')}:1:1: the file is 11 KiB, larger than the 1 KiB a rule file may be`,
      );
      expect(await readRuleFiles(dir, { ...DEFAULT_RULE_LIMITS, maxFileBytes: 16_384 })).toHaveLength(2);
    });
  });

  it('says sizes the way people read them', () => {
    expect([formatBytes(300), formatBytes(2_048), formatBytes(1_048_576), formatBytes(1_572_864)]).toEqual([
      '300 bytes',
      '2 KiB',
      '1 MiB',
      '1.5 MiB',
    ]);
  });
});
