import {
  formatProblem,
  parseRuleSet,
  readRuleFiles,
  readScenarioFile,
  type RuleSetProblem,
} from '@app/rules';
import { zendeskWebhookSignature } from '@app/zendesk';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { eventually, startRouter, WEBHOOK_SECRET, type RouterHarness } from './support/router.harness';

/**
 * Hostile and broken inputs, replayed against a running router: each is refused with a clear
 * answer, and nothing changes — no write reaches Zendesk, no decision row appears, the live rule
 * set stays, and the router goes on answering.
 */

const TOKEN = 'a-router-api-token-for-attacks';
const AGENT = 360_099_100_001;
const RULES = `statuses: [Break]
rules:
  - name: no-breaks
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
`;

jest.setTimeout(30_000);

interface Snapshot {
  writes: number;
  decisions: number;
  revision: string | null;
}

interface Attack {
  name: string;
  /** Sends the input; answers the response to check. */
  send(h: RouterHarness): request.Test;
  status: number;
  /** A word the answer's message must contain, naming what is wrong. */
  names?: RegExp;
}

const signed = (body: string, timestamp = new Date().toISOString(), secret = WEBHOOK_SECRET) => ({
  'content-type': 'application/json',
  'x-zendesk-webhook-signature': zendeskWebhookSignature(secret, timestamp, Buffer.from(body)),
  'x-zendesk-webhook-signature-timestamp': timestamp,
});

const event = (overrides: object = {}) =>
  JSON.stringify({
    id: '01JATTACK0000000000000000',
    type: 'zen:event-type:agent.unified_state_changed',
    account_id: 1,
    time: new Date().toISOString(),
    zendesk_event_version: '2022-11-06',
    subject: `zen:agent:${AGENT}`,
    detail: { agent_id: String(AGENT), account_id: '1', version: '999' },
    event: {},
    ...overrides,
  });

/** JSON text nested `depth` objects deep (built as text: a value that deep overflows the stack). */
const nested = (depth: number): string => `${'{"a":'.repeat(depth)}"deep"${'}'.repeat(depth)}`;

const webhook = (h: RouterHarness, body: string, headers: Record<string, string>) =>
  request(h.url).post('/webhooks/zendesk').set(headers).send(body);
const api = (h: RouterHarness, method: 'get' | 'post', path: string) =>
  request(h.url)[method](path).set('Authorization', `Bearer ${TOKEN}`);

const ATTACKS: Attack[] = [
  {
    name: 'a webhook signed with another secret',
    send: (h) => webhook(h, event(), signed(event(), undefined, 'a-rotated-away-secret')),
    status: 401,
  },
  {
    name: 'a webhook without a signature',
    send: (h) => webhook(h, event(), { 'content-type': 'application/json' }),
    status: 401,
  },
  {
    name: 'a replayed webhook an hour old',
    send: (h) => webhook(h, event(), signed(event(), new Date(Date.now() - 3_600_000).toISOString())),
    status: 401,
  },
  {
    name: 'a signed webhook that is not JSON',
    send: (h) => webhook(h, '{"id": ', signed('{"id": ')),
    status: 400,
  },
  {
    name: 'a webhook over the body limit',
    send: (h) => webhook(h, JSON.stringify({ pad: 'x'.repeat(1_100_000) }), signed('')),
    status: 413,
  },
  {
    name: 'an API call without the token',
    send: (h) => request(h.url).get('/api/rules'),
    status: 401,
  },
  {
    name: 'the token in ?access_token=',
    send: (h) => request(h.url).get(`/api/rules?access_token=${TOKEN}`),
    status: 401,
    names: /Authorization/,
  },
  {
    name: 'the token in ?token=',
    send: (h) => request(h.url).get(`/api/decisions?token=${TOKEN}`),
    status: 401,
    names: /Authorization/,
  },
  {
    name: 'the token in X-API-Key',
    send: (h) => request(h.url).get('/api/rules').set('X-API-Key', TOKEN),
    status: 401,
    names: /Authorization/,
  },
  {
    name: 'what-if facts nested 5,000 deep',
    send: (h) =>
      api(h, 'post', '/api/explain')
        .set('content-type', 'application/json')
        .send(`{"facts":${nested(5_000)}}`),
    status: 400,
    names: /facts/,
  },
  {
    name: 'a what-if body over 100 kB',
    send: (h) => api(h, 'post', '/api/explain').send({ facts: { pad: 'x'.repeat(200_000) } }),
    status: 413,
  },
  {
    name: 'a what-if body that is not JSON',
    send: (h) => api(h, 'post', '/api/explain').set('content-type', 'application/json').send('{"facts":'),
    status: 400,
  },
  {
    name: 'a decisions filter in basic ISO 8601 form',
    send: (h) => api(h, 'get', '/api/decisions?to=20991231T000000Z'),
    status: 400,
    names: /to/,
  },
  {
    name: 'a decisions filter on a day that does not exist',
    send: (h) => api(h, 'get', '/api/decisions?from=2026-02-30T00:00:00Z'),
    status: 400,
    names: /from/,
  },
  {
    name: 'a decisions page of 100,000',
    send: (h) => api(h, 'get', '/api/decisions?limit=100000'),
    status: 400,
    names: /limit/,
  },
  {
    name: 'a decisions filter on an outcome that does not exist',
    send: (h) => api(h, 'get', '/api/decisions?outcome=everything'),
    status: 400,
    names: /outcome/,
  },
  {
    name: 'an agent id that is not a number',
    send: (h) => api(h, 'get', '/api/agents/1e400'),
    status: 400,
  },
  {
    name: 'an agent id past the safe integers',
    send: (h) => api(h, 'get', '/api/agents/99999999999999999999'),
    status: 400,
  },
];

interface RuleFileAttack {
  name: string;
  files(): Record<string, string>;
  /** What the problem must say. */
  names: RegExp;
}

const ruleEntries = (count: number, name: (i: number) => string) =>
  Array.from(
    { length: count },
    (_, i) =>
      `  - name: ${name(i)}\n    when: { fact: status.name, operator: equal, value: Break }\n    then: { set_status: away }`,
  ).join('\n');

const RULE_FILE_ATTACKS: RuleFileAttack[] = [
  {
    name: 'a file that does not parse',
    files: () => ({ 'broken.yaml': 'rules:\n  - name: [unterminated\n' }),
    names: /broken\.yaml:\d+/,
  },
  {
    name: 'a file of 10,000 rules',
    files: () => ({ 'ten-thousand.yaml': `rules:\n${ruleEntries(10_000, (i) => `generated-${i}`)}\n` }),
    names: /ten-thousand\.yaml/,
  },
  {
    name: 'a file of long rule names',
    files: () => ({ 'long-names.yaml': `rules:\n${ruleEntries(20, (i) => `${i}-${'n'.repeat(10_000)}`)}\n` }),
    names: /characters/,
  },
  {
    name: 'a YAML alias bomb',
    files: () => {
      const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < 9; i++)
        lines.push(
          `a${i}: &a${i} [${Array(10)
            .fill(`*a${i - 1}`)
            .join(', ')}]`,
        );
      return { 'bomb.yaml': `${lines.join('\n')}\nrules: []\n` };
    },
    names: /alias/,
  },
  {
    name: 'brackets nested 2,000 deep',
    files: () => ({ 'brackets.yaml': `rules: ${'['.repeat(2_000)}${']'.repeat(2_000)}\n` }),
    names: /brackets\.yaml:\d+/,
  },
  {
    name: 'a condition nested 100 deep',
    files: () => ({
      'deep.yaml': `rules:\n  - name: deep\n    when: ${'{ not: '.repeat(100)}{ fact: status.name, operator: equal, value: Break }${' }'.repeat(100)}\n    then: { set_status: away }\n`,
    }),
    names: /nest/,
  },
];

describe('attacks on a running router', () => {
  let h: RouterHarness;

  const snapshot = async (): Promise<Snapshot> => {
    const requests = (await h.sim.control('get', '/requests')).body.requests as { method: string }[];
    const decisions = await api(h, 'get', '/api/decisions?limit=500').expect(200);
    const rules = await api(h, 'get', '/api/rules').expect(200);
    return {
      writes: requests.filter((r) => r.method !== 'GET').length,
      decisions: (decisions.body.decisions as unknown[]).length,
      revision: rules.body.revision as string | null,
    };
  };

  beforeAll(async () => {
    h = await startRouter(RULES, { ROUTER_API_TOKEN: TOKEN }, 10);
    await h.sim.control('delete', '/requests');
  });
  afterAll(() => h.close());

  it.each(ATTACKS.map((a) => [a.name, a] as const))('refuses %s and changes nothing', async (_, attack) => {
    const before = await snapshot();
    const res = await attack.send(h);
    expect(res.status).toBe(attack.status);
    expect(typeof res.body.error).toBe('string');
    if (attack.names) expect(String(res.body.message)).toMatch(attack.names);
    // Whatever the input set going, it has had time to reach Zendesk or the log.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await snapshot()).toEqual(before);
    // Still answering, and not in error (rejected webhooks may make it degraded).
    await request(h.url).get('/health').expect(200);
  });

  /** Drops `files` into the rules directory, waits for the rejection, then takes them out again. */
  const rejectedChange = async (files: Record<string, string>): Promise<string> => {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(h.dir, name), text);
    const rules = await eventually(
      async () => (await api(h, 'get', '/api/rules').expect(200)).body,
      (body) => (body.rejectedChange as unknown[]).length > 0,
      15_000,
    );
    for (const name of Object.keys(files)) rmSync(join(h.dir, name));
    const restored = await eventually(
      async () => (await api(h, 'get', '/api/rules').expect(200)).body,
      (body) => (body.rejectedChange as unknown[]).length === 0,
      15_000,
    );
    expect(restored.rejectedChange).toEqual([]);
    return (rules.rejectedChange as RuleSetProblem[]).map(formatProblem).join('\n');
  };

  it.each(RULE_FILE_ATTACKS.map((a) => [a.name, a] as const))(
    'rejects %s, keeps the live rules and clears the rejection once the file is gone',
    async (_, attack) => {
      const before = await snapshot();
      const problems = await rejectedChange(attack.files());
      expect(problems).toContain(Object.keys(attack.files())[0]!);
      expect(problems).toMatch(attack.names);
      expect(await snapshot()).toEqual(before);
    },
  );
});

describe('attacks on the rule author tools', () => {
  it('refuses a scenario whose timeline runs for years, naming the line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attack-rules-'));
    try {
      writeFileSync(join(dir, 'rules.yaml'), RULES);
      const ruleSet = parseRuleSet(await readRuleFiles(dir));
      const scenario = [
        'name: a timeline that never ends',
        'start: 2026-11-24T12:00:00+01:00',
        'agents:',
        '  sam: { id: 360099100001 }',
        'timeline:',
        '  - { at: 0m, agent: sam, facts: { status.name: Break } }',
        '  - { at: 99999d, agent: sam, facts: { status.name: Break } }',
        'expect:',
        '  - { at: 0m, agent: sam, actions: [{ rule: no-breaks, set_status: away }] }',
        '',
      ].join('\n');
      expect(() => readScenarioFile(ruleSet, 'forever.test.yaml', scenario)).toThrow(
        /forever\.test\.yaml:7:\d+.*31 days/s,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
