import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ZendeskClient } from './zendesk.client';
import type { ZendeskClientEvent } from './zendesk.http';
import { accountBudgetOf } from './zendesk.http';

const JOB = JSON.stringify({ job_status: { id: 'job-1', status: 'completed' } });

/** A Zendesk stand-in on loopback that answers every request with a job and the headers given. */
class Answering {
  readonly requests: string[] = [];
  headers: (n: number) => Record<string, string> = () => ({});
  private readonly server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    this.requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'Content-Type': 'application/json', ...this.headers(this.requests.length) });
    res.end(JOB);
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('accountBudgetOf', () => {
  it('reads X-Rate-Limit-Remaining with X-Rate-Limit', () => {
    expect(accountBudgetOf({ 'x-rate-limit': '700', 'x-rate-limit-remaining': '699' })).toEqual({
      remaining: 699,
      limit: 700,
    });
  });

  it('reads the ratelimit-* family, reset included', () => {
    expect(
      accountBudgetOf({ 'ratelimit-limit': '100', 'ratelimit-remaining': '99', 'ratelimit-reset': '41' }),
    ).toEqual({ remaining: 99, limit: 100, resetMs: 41_000 });
  });

  it('is null without a remaining count, or with one that is not a count', () => {
    expect(accountBudgetOf({ 'x-rate-limit': '200' })).toBeNull();
    expect(accountBudgetOf({ 'x-rate-limit-remaining': 'plenty' })).toBeNull();
    expect(accountBudgetOf({ 'x-rate-limit-remaining': '-3' })).toBeNull();
  });
});

describe('ZendeskHttp against a server', () => {
  let server: Answering;
  let client: ZendeskClient;
  beforeEach(async () => {
    server = new Answering();
    await server.start();
    client = new ZendeskClient({ baseUrl: server.url, auth: { type: 'oauth', accessToken: 'token' } });
  });
  afterEach(async () => {
    client.close();
    await server.stop();
  });

  it("holds reads back once the account's remaining budget reaches the reserve", async () => {
    // Other integrations have used the account: 12 of 100 are left, one fewer each answer.
    server.headers = (n) => ({ 'X-Rate-Limit': '100', 'X-Rate-Limit-Remaining': String(13 - n) });
    await client.getStatusJob('job-1');
    expect(client.budget().accountRemaining).toBe(12);
    const reads = Array.from({ length: 5 }, () => client.getStatusJob('job-1'));
    await until(() => server.requests.length === 3 && client.budget().inFlight === 0);
    // Two more went, one at a time; reads stop at 10 left, the reserve, with three waiting.
    expect(server.requests).toHaveLength(3);
    expect(client.budget()).toMatchObject({
      accountRemaining: 10,
      queuedBy: { write: 0, read: 3, bulk: 0 },
      accountHolds: 1,
    });
    client.close();
    await Promise.allSettled(reads);
  });

  it("takes Zendesk's clock from the Date header and reports each move of a second or more", async () => {
    const events: ZendeskClientEvent[] = [];
    const subscription = client.events$.subscribe((event) => events.push(event));
    expect(client.clockOffset()).toBeNull();
    server.headers = () => ({ Date: new Date(Date.now() + 600_000).toUTCString() });
    await client.getStatusJob('job-1');
    await client.getStatusJob('job-1');
    const offset = client.clockOffset();
    expect(offset!.offsetMs).toBeGreaterThan(598_000);
    expect(offset!.offsetMs).toBeLessThan(602_000);
    server.headers = () => ({ Date: new Date(Date.now() - 30_000).toUTCString() });
    await client.getStatusJob('job-1');
    subscription.unsubscribe();
    const moves = events.filter((e) => e.type === 'clock_offset').map((e) => Math.round(e.offsetMs / 10_000));
    expect(moves).toEqual([60, -3]);
  });
});
