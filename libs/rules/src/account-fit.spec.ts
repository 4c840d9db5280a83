import { checkAgainstAccount, type AccountNames } from './account-fit';
import { formatProblem } from './rule-set.errors';
import { parseRuleSet } from './rule-set.parser';

const ACCOUNT: AccountNames = {
  statuses: ['online', 'offline', 'away', 'transfers_only', 'Lunch', 'Break'],
  capacityRules: ['Default capacity', 'Senior agents'],
};

const SET = parseRuleSet([
  {
    path: 'account.yaml',
    text: 'statuses: [Lunch, Break, Coaching, Breaks]\n',
  },
  {
    path: 'rules.yaml',
    text: `rules:
  - name: fits
    priority: 1
    when:
      all:
        - { fact: status.name, operator: in, value: [online, Lunch] }
        - { fact: status.minutes, operator: greaterThan, value: 10 }
    then: { set_status: Break }
  - name: by-id
    priority: 2
    when: { fact: status.name, operator: notEqual, value: Coaching }
    then: { set_status: 9003 }
  - name: wrong-status
    priority: 3
    when:
      any:
        - { fact: status.name, operator: equal, value: Breaks }
        - not: { fact: status.name, operator: notIn, value: [Breaks, Coaching] }
    then: { set_status: Coaching }
  - name: surge
    when:
      all:
        - { fact: account.messaging.utilization, operator: greaterThan, value: 0.85 }
        - { fact: capacityRule.capacity, operator: lessThan, value: 5, params: { rule: Senior agent, channel: messaging } }
    then: { set_capacity: { rule: Default capacty, capacities: { messaging: 5 } } }
`,
  },
]);

describe('checking a rule set against the account', () => {
  it('names every status and capacity rule the account lacks, at its rule, once per name', () => {
    expect(checkAgainstAccount(SET, ACCOUNT).map(formatProblem)).toEqual([
      'rules.yaml:9:5: rule "by-id" compares status.name with "Coaching", which the account does not have',
      'rules.yaml:13:5: rule "wrong-status" sets status "Coaching", which the account does not have',
      'rules.yaml:13:5: rule "wrong-status" compares status.name with "Breaks", which the account does not have (did you mean "Break"?)',
      'rules.yaml:20:5: rule "surge" changes capacity rule "Default capacty", which the account does not have (did you mean "Default capacity"?)',
      'rules.yaml:20:5: rule "surge" reads capacityRule.capacity of "Senior agent", which the account does not have (did you mean "Senior agents"?)',
    ]);
  });

  it('finds nothing when the account has every name, matched exactly', () => {
    const account: AccountNames = {
      statuses: [...ACCOUNT.statuses, 'Coaching', 'Breaks'],
      capacityRules: [...ACCOUNT.capacityRules, 'Default capacty', 'Senior agent'],
    };
    expect(checkAgainstAccount(SET, account)).toEqual([]);
    const shouting = { ...account, statuses: account.statuses.map((s) => s.toUpperCase()) };
    expect(checkAgainstAccount(SET, shouting).map((p) => p.message)).toContain(
      'rule "fits" compares status.name with "online", which the account does not have (did you mean "ONLINE"?)',
    );
  });
});
