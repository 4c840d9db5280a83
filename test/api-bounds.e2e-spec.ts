import request from 'supertest';
import { eventually, startRouter, type RouterHarness } from './support/router.harness';

const TOKEN = 'api-bounds-e2e-api-token';
const AGENT = 360_099_100_001;
const BREAK = 9002;
const RULES = `statuses: [Break]
rules:
  - name: no-breaks
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
`;

/** JSON text of what-if facts nested `depth` objects deep (as text: a value that deep overflows the stack). */
const deepFacts = (depth: number) =>
  `{"facts":{"status.name":${'{"a":'.repeat(depth)}"Break"${'}'.repeat(depth)}}}`;

describe('bounds on what the API accepts', () => {
  let h: RouterHarness;
  const api = (method: 'get' | 'post', path: string) =>
    request(h.url)[method](path).set('Authorization', `Bearer ${TOKEN}`);
  const refused = async (sent: request.Test) => {
    const res = await sent;
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('bad_request');
    return res.body.message as string;
  };

  beforeAll(async () => {
    h = await startRouter(RULES, { ROUTER_API_TOKEN: TOKEN }, 5);
  });
  afterAll(() => h.close());

  it('refuses what-if facts nested deeper than the bound with 400 naming where, and still answers', async () => {
    for (const depth of [20, 5_000, 15_000]) {
      const message = await refused(
        api('post', '/api/explain').set('content-type', 'application/json').send(deepFacts(depth)),
      );
      expect(message).toBe(`the body nests deeper than 16 levels (at facts.status.name${'.a'.repeat(14)})`);
    }
    const ok = await api('post', '/api/explain')
      .send({ facts: { 'status.name': 'Break' } })
      .expect(200);
    expect(ok.body.rules[0]).toMatchObject({ rule: 'no-breaks', matched: true });
  });

  it('refuses too many facts, long names, long texts and long lists, naming the bound', async () => {
    const many = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`fact${i}`, 1]));
    expect(await refused(api('post', '/api/explain').send({ facts: many }))).toBe(
      'facts: at most 200 facts (got 201)',
    );
    expect(await refused(api('post', '/api/explain').send({ facts: { ['f'.repeat(90_000)]: 1 } }))).toMatch(
      /^facts: a fact name is at most 200 characters \(got one of 90000/,
    );
    expect(
      await refused(api('post', '/api/explain').send({ facts: { 'status.name': 'x'.repeat(5_000) } })),
    ).toBe('facts.status.name: a text value is at most 1000 characters (got 5000)');
    expect(
      await refused(
        api('post', '/api/explain').send({ facts: {}, groups: Array.from({ length: 1_001 }, (_, i) => i) }),
      ),
    ).toBe('groups must be a list of at most 1000 group ids');
  });

  it('reads the decisions filters in the ISO 8601 forms it documents', async () => {
    await h.sim.control('put', `/agents/${AGENT}`, { status_id: BREAK });
    const [decision] = await eventually(
      async () =>
        (await api('get', `/api/decisions?agent_id=${AGENT}`).expect(200)).body.decisions as Array<{
          time: number;
        }>,
      (found) => found.length > 0,
    );
    const time = decision!.time;
    const day = new Date(time).toISOString().slice(0, 10);
    const count = async (query: string) =>
      (
        (await api('get', `/api/decisions?agent_id=${AGENT}&${query}`).expect(200)).body
          .decisions as unknown[]
      ).length;
    expect(await count(`from=${day}`)).toBe(1);
    expect(await count(`to=${day}`)).toBe(0);
    expect(await count(`from=${new Date(time).toISOString()}`)).toBe(1);
    expect(await count(`to=${new Date(time).toISOString()}`)).toBe(0);
    // The same instant an hour ahead, with its offset.
    const ahead = new Date(time + 3_600_000).toISOString().replace('Z', '+01:00');
    expect(await count(`from=${encodeURIComponent(ahead)}`)).toBe(1);
    expect(await count(`to=${encodeURIComponent(ahead)}`)).toBe(0);
  });

  it('refuses other time forms and days that do not exist, naming the field and the forms', async () => {
    expect(await refused(api('get', '/api/decisions?to=20991231T000000Z'))).toBe(
      'to must be an ISO 8601 time with its offset, such as 2026-11-23T10:00:00Z or 2026-11-23T10:00:00+01:00, or a date such as 2026-11-23 (its midnight in UTC); got "20991231T000000Z"',
    );
    expect(await refused(api('get', '/api/decisions?from=2026-02-30'))).toMatch(
      /^from must be an ISO 8601 time .*; got "2026-02-30"$/,
    );
    expect(await refused(api('get', '/api/decisions?from=2026-11-23T10:00:00'))).toMatch(/^from must be/);
    expect(await refused(api('get', '/api/decisions?to=275760-09-13'))).toMatch(/^to must be/);
    expect(await refused(api('get', '/api/decisions?before=99999999999999999999'))).toBe(
      'before must be a whole number',
    );
    expect(await refused(api('post', '/api/explain').send({ facts: {}, at: '2026-11-23' }))).toBe(
      'at must be an ISO 8601 time with its offset, such as 2026-11-23T10:00:00+01:00',
    );
  });
});
