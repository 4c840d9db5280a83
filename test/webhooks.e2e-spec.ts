import { execFileSync, spawnSync } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AUTH, startSim, type SimHarness } from './support/sim.harness';

const AGENT_ID = 360_099_100_001;
const T0 = '2025-03-14T09:00:00Z';
const AGENT_TYPES = [
  'state_changed',
  'work_item_added',
  'work_item_updated',
  'work_item_removed',
  'max_capacity_changed',
  'unified_state_changed',
  'channel_created',
  'channel_deleted',
  'groups_updated',
].map((t) => `zen:event-type:agent.${t}`);
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const NANOS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

jest.setTimeout(20_000);

/** One request as the receiver saw it: the raw body bytes, before any parsing. */
interface Received {
  readonly path: string;
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

type Reply = { status: number; headers?: Record<string, string> } | 'hang';

/** A webhook endpoint on 127.0.0.1 that records every request and answers as scripted (200 by default). */
class Receiver {
  readonly received: Received[] = [];
  private readonly scripts = new Map<string, Reply[]>();
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      this.received.push({
        path,
        method: req.method ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      const reply = this.scripts.get(path)?.shift() ?? { status: 200 };
      if (reply === 'hang') return;
      res.writeHead(reply.status, reply.headers).end('{}');
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next requests to `path` get these replies, in order; later ones get 200. */
  script(path: string, ...replies: Reply[]): void {
    this.scripts.set(path, replies);
  }

  on(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  clear(): void {
    this.received.length = 0;
    this.scripts.clear();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

interface Delivery {
  webhook_id: string;
  invocation_id: string;
  event_id: string;
  event_type: string;
  agent_id: number;
  version: number;
  attempt: number;
  time: string;
  outcome: 'delivered' | 'failed' | 'dropped' | 'discarded';
  status: number | null;
  error: string | null;
  next_retry_at: string | null;
}

/** The reference verifier of section 11.7, verbatim in behaviour: HMAC over timestamp + raw body. */
function verifyZendeskSignature(secret: string, timestamp: string, rawBody: Buffer, header: string): boolean {
  const expected = createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]))
    .digest();
  const given = Buffer.from(header, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The openssl pipeline of section 11.7, fed the exact bytes the receiver got. */
function opensslSignature(secret: string, message: Buffer): string {
  return execFileSync('sh', ['-c', 'openssl dgst -sha256 -hmac "$SECRET" -binary | base64'], {
    input: message,
    env: { ...process.env, SECRET: secret },
  })
    .toString('utf8')
    .trim();
}

const header = (r: Received, name: string): string => {
  const value = r.headers[name];
  if (typeof value !== 'string')
    throw new Error(`Header ${name} missing or repeated: ${JSON.stringify(value)}`);
  return value;
};
const bodyOf = (r: Received): any => JSON.parse(r.body.toString('utf8'));
const signedWith = (r: Received, secret: string): boolean =>
  verifyZendeskSignature(
    secret,
    header(r, 'x-zendesk-webhook-signature-timestamp'),
    r.body,
    header(r, 'x-zendesk-webhook-signature'),
  );

/** Polls until `probe` yields a value; real time, bounded, short waits between polls. */
async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Webhooks', () => {
  let sim: SimHarness;
  const receiver = new Receiver();

  const api = () => ({
    post: (path: string, body?: object, auth: string = AUTH.admin) =>
      sim.http().post(path).set('Authorization', auth).send(body),
    patch: (path: string, body: object) => sim.http().patch(path).set('Authorization', AUTH.admin).send(body),
    put: (path: string, body: object) => sim.http().put(path).set('Authorization', AUTH.admin).send(body),
    delete: (path: string, auth: string = AUTH.admin) => sim.http().delete(path).set('Authorization', auth),
  });

  const aWebhookBody = (path: string, overrides: Record<string, unknown> = {}) => ({
    webhook: {
      name: `Receiver ${path}`,
      endpoint: `${receiver.url}${path}`,
      http_method: 'POST',
      request_format: 'json',
      status: 'active',
      subscriptions: AGENT_TYPES,
      ...overrides,
    },
  });

  async function createWebhook(path: string, overrides: Record<string, unknown> = {}): Promise<any> {
    const res = await api().post('/api/v2/webhooks', aWebhookBody(path, overrides));
    if (res.status !== 201) throw new Error(`create webhook → ${res.status}: ${res.text}`);
    return res.body.webhook;
  }

  async function secretOf(id: string): Promise<string> {
    return (await sim.get(`/api/v2/webhooks/${id}/signing_secret`).expect(200)).body.signing_secret.secret;
  }

  async function deliveries(webhookId?: string): Promise<{ deliveries: Delivery[]; pending: number }> {
    const query = webhookId ? `?webhook_id=${webhookId}` : '';
    return (await sim.control('get', `/webhooks/deliveries${query}`)).body;
  }

  /** Waits until nothing is queued, in flight or awaiting retry, and returns the log. */
  async function settled(webhookId?: string): Promise<Delivery[]> {
    return waitFor('deliveries to settle', async () => {
      const body = await deliveries(webhookId);
      return body.pending === 0 ? body.deliveries : undefined;
    });
  }

  /** Waits for the log entry of attempt `attempt` (1 = first) of the only event sent. */
  async function attemptLogged(attempt: number): Promise<Delivery> {
    return waitFor(`attempt ${attempt} in the delivery log`, async () =>
      (await deliveries()).deliveries.find((d) => d.attempt === attempt && d.outcome !== 'discarded'),
    );
  }

  async function pending(): Promise<{ pending: number; in_flight: number; awaiting_retry: number }> {
    return (await sim.control('get', '/webhooks/pending')).body;
  }

  async function agent(): Promise<{ version: number; channels: Record<string, unknown> }> {
    return (await sim.control('get', `/agents/${AGENT_ID}`)).body.agent;
  }

  /** Puts the agent online with no webhook listening, so the next status change is predictable. */
  async function onlineAgent(): Promise<{ version: number; channels: string[] }> {
    await sim.control('put', `/agents/${AGENT_ID}`, { status_id: 3 });
    const state = await agent();
    return { version: state.version, channels: Object.keys(state.channels) };
  }

  const addWorkItem = () => sim.control('post', `/agents/${AGENT_ID}/work_items`, { channel: 'messaging' });

  beforeAll(async () => {
    const openssl = spawnSync('openssl', ['version']);
    if (openssl.error || openssl.status !== 0) {
      throw new Error('These tests verify signatures with the openssl command line; install openssl');
    }
    await receiver.start();
    sim = await startSim({ agentCount: 20, rateLimitPerMin: 100_000 });
  });

  afterAll(async () => {
    await sim.close();
    await receiver.stop();
  });

  beforeEach(async () => {
    await sim.control('post', '/reset', {});
    await sim.freezeClock(T0);
    receiver.clear();
  });

  describe('Webhooks API', () => {
    it('creates a webhook (201) and never echoes its signing secret', async () => {
      const res = await api().post(
        '/api/v2/webhooks',
        aWebhookBody('/hook', { description: 'Router intake', subscriptions: AGENT_TYPES.slice(0, 2) }),
      );
      expect(res.status).toBe(201);
      expect(res.body.webhook).toEqual({
        id: expect.stringMatching(ULID),
        name: 'Receiver /hook',
        status: 'active',
        endpoint: `${receiver.url}/hook`,
        http_method: 'POST',
        request_format: 'json',
        subscriptions: AGENT_TYPES.slice(0, 2),
        description: 'Router intake',
        created_at: '2025-03-14T09:00:00Z',
        updated_at: '2025-03-14T09:00:00Z',
      });
      const shown = await sim.get(`/api/v2/webhooks/${res.body.webhook.id}`).expect(200);
      expect(shown.body).toEqual(res.body);
      expect(JSON.stringify(shown.body)).not.toContain(await secretOf(res.body.webhook.id));
    });

    it.each<[string, Record<string, unknown> | null, string]>([
      ['no webhook member', null, 'webhook'],
      ['no name', { name: undefined }, 'webhook.name'],
      ['an empty name', { name: '  ' }, 'webhook.name'],
      ['no endpoint', { endpoint: undefined }, 'webhook.endpoint'],
      ['a relative endpoint', { endpoint: '/hook' }, 'webhook.endpoint'],
      ['an ftp endpoint', { endpoint: 'ftp://example.com/hook' }, 'webhook.endpoint'],
      ['http_method GET', { http_method: 'GET' }, 'webhook.http_method'],
      ['no http_method', { http_method: undefined }, 'webhook.http_method'],
      ['request_format xml', { request_format: 'xml' }, 'webhook.request_format'],
      ['no subscriptions', { subscriptions: undefined }, 'webhook.subscriptions'],
      ['empty subscriptions', { subscriptions: [] }, 'webhook.subscriptions'],
      [
        'a trigger subscription',
        { subscriptions: ['conditional_ticket_events'] },
        'webhook.subscriptions[0]',
      ],
      [
        'an unknown agent event',
        { subscriptions: [AGENT_TYPES[0], 'zen:event-type:agent.nope'] },
        'webhook.subscriptions[1]',
      ],
      ['an unknown status', { status: 'paused' }, 'webhook.status'],
      [
        'an unknown authentication type',
        { authentication: { type: 'oauth', data: {} } },
        'webhook.authentication.type',
      ],
      [
        'an api_key that would replace the signature',
        { authentication: { type: 'api_key', data: { name: 'X-Zendesk-Webhook-Signature', value: 'x' } } },
        'webhook.authentication.data.name',
      ],
      [
        'a bearer_token without a token',
        { authentication: { type: 'bearer_token', data: {}, add_position: 'header' } },
        'webhook.authentication.data.token',
      ],
    ])('answers 400 naming the field for %s', async (_case, overrides, field) => {
      const body = overrides === null ? { name: 'x' } : aWebhookBody('/hook', overrides);
      const res = await api().post('/api/v2/webhooks', body);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        { code: 'BadRequest', title: 'Bad Request', detail: expect.any(String) },
      ]);
      expect(res.body.errors[0].detail).toContain(field);
      const list = await sim.get('/api/v2/webhooks').expect(200);
      expect(list.body.webhooks).toEqual([]);
    });

    it('answers 403 to an agent on every endpoint', async () => {
      const webhook = await createWebhook('/hook');
      const path = `/api/v2/webhooks/${webhook.id}`;
      await sim.get('/api/v2/webhooks', AUTH.agent).expect(403);
      await sim.get(path, AUTH.agent).expect(403);
      await sim.get(`${path}/signing_secret`, AUTH.agent).expect(403);
      await api().post(`${path}/signing_secret`, undefined, AUTH.agent).expect(403);
      await api().delete(path, AUTH.agent).expect(403);
      const created = await api().post('/api/v2/webhooks', aWebhookBody('/other'), AUTH.agent);
      expect(created.status).toBe(403);
      expect((await sim.get('/api/v2/webhooks').expect(200)).body.webhooks).toHaveLength(1);
    });

    it('lists, filters, shows and deletes webhooks; unknown ids are 404', async () => {
      const first = await createWebhook('/one');
      const second = await createWebhook('/two', { status: 'inactive', name: 'Paused receiver' });
      const list = await sim.get('/api/v2/webhooks').expect(200);
      expect(list.body.webhooks.map((w: any) => w.id)).toEqual([first.id, second.id]);
      expect(list.body.meta.has_more).toBe(false);
      expect(list.body.links).toEqual({});
      const inactive = await sim.get('/api/v2/webhooks?filter[status]=inactive').expect(200);
      expect(inactive.body.webhooks.map((w: any) => w.id)).toEqual([second.id]);
      const named = await sim.get('/api/v2/webhooks?filter[name_contains]=paused').expect(200);
      expect(named.body.webhooks.map((w: any) => w.id)).toEqual([second.id]);
      await sim.get(`/api/v2/webhooks/${first.id}.json`).expect(200);

      await api().delete(`/api/v2/webhooks/${first.id}`).expect(204);
      const gone = await sim.get(`/api/v2/webhooks/${first.id}`).expect(404);
      expect(gone.body.errors[0]).toMatchObject({ code: 'NotFound', title: 'Not Found' });
      expect(gone.body.errors[0].detail).toContain(first.id);
      await api().delete(`/api/v2/webhooks/${first.id}`).expect(404);
      await sim.get(`/api/v2/webhooks/${first.id}/signing_secret`).expect(404);
      await api().post(`/api/v2/webhooks/${first.id}/signing_secret`).expect(404);
      const after = await sim.get('/api/v2/webhooks').expect(200);
      expect(after.body.webhooks.map((w: any) => w.id)).toEqual([second.id]);
    });

    it('shows and rotates the signing secret', async () => {
      const webhook = await createWebhook('/hook');
      const shown = await sim.get(`/api/v2/webhooks/${webhook.id}/signing_secret`).expect(200);
      expect(shown.body).toEqual({ signing_secret: { secret: expect.any(String), algorithm: 'sha256' } });
      expect(shown.body.signing_secret.secret).toHaveLength(44);
      const rotated = await api().post(`/api/v2/webhooks/${webhook.id}/signing_secret`).expect(201);
      expect(rotated.body).toEqual({ signing_secret: { secret: expect.any(String), algorithm: 'sha256' } });
      expect(rotated.body.signing_secret.secret).not.toBe(shown.body.signing_secret.secret);
      expect(await secretOf(webhook.id)).toBe(rotated.body.signing_secret.secret);
    });

    it('patches and replaces a webhook with 204', async () => {
      const webhook = await createWebhook('/hook');
      await api()
        .patch(`/api/v2/webhooks/${webhook.id}`, { webhook: { status: 'inactive' } })
        .expect(204);
      expect((await sim.get(`/api/v2/webhooks/${webhook.id}`)).body.webhook).toMatchObject({
        status: 'inactive',
        name: webhook.name,
      });
      const badPatch = await api().patch(`/api/v2/webhooks/${webhook.id}`, {
        webhook: { http_method: 'PUT' },
      });
      expect(badPatch.status).toBe(400);
      expect(badPatch.body.errors[0].detail).toContain('webhook.http_method');
      await api()
        .put(`/api/v2/webhooks/${webhook.id}`, aWebhookBody('/moved', { name: 'Moved' }))
        .expect(204);
      expect((await sim.get(`/api/v2/webhooks/${webhook.id}`)).body.webhook).toMatchObject({
        name: 'Moved',
        status: 'active',
        endpoint: `${receiver.url}/moved`,
      });
      await api()
        .patch('/api/v2/webhooks/01NOPE000000000000000000000', { webhook: { status: 'active' } })
        .expect(404);
    });
  });

  describe('delivery', () => {
    it('delivers a status change as unified_state_changed then state_changed, in version order, signed', async () => {
      const before = await onlineAgent();
      const webhook = await createWebhook('/events');
      const secret = await secretOf(webhook.id);
      await sim.control('put', `/agents/${AGENT_ID}`, { status_id: 2 });
      const after = await agent();
      const log = await settled();

      const events = receiver.on('/events');
      const bodies = events.map(bodyOf);
      expect(after.version - before.version).toBe(1 + before.channels.length);
      expect(bodies.map((b) => Number(b.detail.version))).toEqual(
        Array.from({ length: after.version - before.version }, (_, i) => before.version + 1 + i),
      );
      expect(bodies.map((b) => b.type)).toEqual([
        'zen:event-type:agent.unified_state_changed',
        ...before.channels.map(() => 'zen:event-type:agent.state_changed'),
      ]);
      expect(bodies[0].event).toEqual({
        updated_at: expect.stringMatching(NANOS),
        previous_unified_state: { id: 3, name: 'online' },
        new_unified_state: { id: 2, name: 'offline' },
        reason: 'AGENT_STATUS_SWITCHER',
      });
      expect(
        bodies
          .slice(1)
          .map((b) => b.event.channel)
          .sort(),
      ).toEqual([...before.channels].sort());
      for (const body of bodies.slice(1)) {
        expect(body.event).toMatchObject({ previous_state: 'online', new_state: 'offline' });
      }
      for (const body of bodies) {
        expect(body).toEqual({
          account_id: 8_810_442,
          detail: { account_id: '8810442', agent_id: String(AGENT_ID), version: expect.any(String) },
          event: expect.objectContaining({ updated_at: '2025-03-14T09:00:00.000000000Z' }),
          id: expect.stringMatching(ULID),
          subject: `zen:agent:${AGENT_ID}`,
          time: expect.stringMatching(NANOS),
          type: expect.any(String),
          zendesk_event_version: '2022-11-06',
        });
      }
      expect(new Set(bodies.map((b) => b.id)).size).toBe(bodies.length);

      for (const event of events) {
        expect(event.method).toBe('POST');
        expect(event.headers).toMatchObject({
          'content-type': 'application/json',
          'user-agent': 'Zendesk Webhook',
          'x-zendesk-account-id': '8810442',
          'x-zendesk-webhook-id': webhook.id,
          'x-zendesk-webhook-invocation-id': expect.stringMatching(/^\d+$/),
          'x-zendesk-webhook-signature-timestamp': '2025-03-14T09:00:00Z',
        });
        const timestamp = header(event, 'x-zendesk-webhook-signature-timestamp');
        const signature = header(event, 'x-zendesk-webhook-signature');
        expect(opensslSignature(secret, Buffer.concat([Buffer.from(timestamp), event.body]))).toBe(signature);
        expect(signedWith(event, secret)).toBe(true);
        // The older page's body-first order must not verify (section 11.7, CONFLICT).
        expect(opensslSignature(secret, Buffer.concat([event.body, Buffer.from(timestamp)]))).not.toBe(
          signature,
        );
        expect(
          verifyZendeskSignature(secret, '', Buffer.concat([event.body, Buffer.from(timestamp)]), signature),
        ).toBe(false);
      }
      expect(new Set(events.map((e) => header(e, 'x-zendesk-webhook-invocation-id'))).size).toBe(
        events.length,
      );
      expect(log.map((d) => [d.outcome, d.status, d.attempt, d.version])).toEqual(
        bodies.map((b) => ['delivered', 200, 1, Number(b.detail.version)]),
      );
    });

    it.each([500, 409, 503])(
      'retries a %i after 5 s of simulator time with the same invocation id and body and a fresh timestamp',
      async (status) => {
        const webhook = await createWebhook('/events');
        const secret = await secretOf(webhook.id);
        receiver.script('/events', { status });
        await addWorkItem();
        const failed = await attemptLogged(1);
        expect(failed).toMatchObject({
          outcome: 'failed',
          status,
          next_retry_at: '2025-03-14T09:00:05.000Z',
        });

        await sim.advance(4_999);
        expect(await pending()).toMatchObject({ in_flight: 0, awaiting_retry: 1 });
        expect(receiver.on('/events')).toHaveLength(1);
        await sim.advance(1);
        const retried = await attemptLogged(2);
        expect(retried).toMatchObject({
          outcome: 'delivered',
          status: 200,
          time: '2025-03-14T09:00:05.000Z',
        });

        const [first, second] = receiver.on('/events');
        expect(second!.body.equals(first!.body)).toBe(true);
        expect(header(second!, 'x-zendesk-webhook-invocation-id')).toBe(
          header(first!, 'x-zendesk-webhook-invocation-id'),
        );
        expect(header(first!, 'x-zendesk-webhook-signature-timestamp')).toBe('2025-03-14T09:00:00Z');
        expect(header(second!, 'x-zendesk-webhook-signature-timestamp')).toBe('2025-03-14T09:00:05Z');
        expect(signedWith(first!, secret)).toBe(true);
        expect(signedWith(second!, secret)).toBe(true);
        expect(header(second!, 'x-zendesk-webhook-signature')).not.toBe(
          header(first!, 'x-zendesk-webhook-signature'),
        );
      },
    );

    it('honours Retry-After on a 429', async () => {
      await createWebhook('/events');
      receiver.script('/events', { status: 429, headers: { 'Retry-After': '2' } });
      await addWorkItem();
      expect(await attemptLogged(1)).toMatchObject({
        status: 429,
        next_retry_at: '2025-03-14T09:00:02.000Z',
      });
      await sim.advance(2_000);
      expect(await attemptLogged(2)).toMatchObject({ outcome: 'delivered' });
    });

    it('treats no answer within the response timeout as a failure to retry', async () => {
      await sim.control('put', '/webhooks/settings', { response_timeout_ms: 200 });
      await createWebhook('/events');
      receiver.script('/events', 'hang');
      await addWorkItem();
      const timedOut = await attemptLogged(1);
      expect(timedOut).toMatchObject({
        outcome: 'failed',
        status: null,
        next_retry_at: '2025-03-14T09:00:05.000Z',
      });
      expect(timedOut.error).toContain('no response within 200 ms');
      await sim.advance(5_000);
      expect(await attemptLogged(2)).toMatchObject({ outcome: 'delivered' });
    });

    it('does not retry a 400', async () => {
      await createWebhook('/events');
      receiver.script('/events', { status: 400 });
      await addWorkItem();
      const log = await settled();
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ outcome: 'failed', status: 400, next_retry_at: null });
      expect(log[0]!.error).toContain('not retried');
      await sim.advance(300_000);
      expect(await pending()).toMatchObject({ pending: 0 });
      expect(receiver.on('/events')).toHaveLength(1);
    });

    it('gives up after 3 retries at 5 s, 30 s and 120 s', async () => {
      await createWebhook('/events');
      receiver.script('/events', { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
      await addWorkItem();
      let now = Date.parse(T0);
      for (const [i, delay] of [5_000, 30_000, 120_000].entries()) {
        const entry = await attemptLogged(i + 1);
        expect(entry).toMatchObject({ outcome: 'failed', status: 500 });
        expect(Date.parse(entry.next_retry_at!) - now).toBe(delay);
        await sim.advance(delay);
        now += delay;
      }
      const last = await attemptLogged(4);
      expect(last).toMatchObject({ outcome: 'failed', status: 500, next_retry_at: null });
      expect(last.error).toContain('gave up');
      expect(await pending()).toMatchObject({ pending: 0 });
      const attempts = receiver.on('/events');
      expect(attempts).toHaveLength(4);
      expect(new Set(attempts.map((a) => header(a, 'x-zendesk-webhook-invocation-id'))).size).toBe(1);
      expect(new Set(attempts.map((a) => a.body.toString('base64'))).size).toBe(1);
    });

    it('a drop_webhooks fault loses exactly one event', async () => {
      const before = await onlineAgent();
      await createWebhook('/events');
      await sim.control('post', '/faults', { type: 'drop_webhooks', count: 1 });
      await sim.control('put', `/agents/${AGENT_ID}`, { status_id: 2 });
      const after = await agent();
      const log = await settled();
      const all = Array.from({ length: after.version - before.version }, (_, i) => before.version + 1 + i);

      const dropped = log.filter((d) => d.outcome === 'dropped');
      expect(dropped).toHaveLength(1);
      expect(dropped[0]).toMatchObject({ version: before.version + 1, status: null, next_retry_at: null });
      const received = receiver.on('/events').map((r) => Number(bodyOf(r).detail.version));
      expect(received).toEqual(all.slice(1));
      expect((await sim.control('get', '/faults')).body.faults).toEqual([]);
    });

    it('sends nothing to inactive webhooks, and deactivating or reactivating takes effect', async () => {
      const active = await createWebhook('/active');
      const inactive = await createWebhook('/inactive', { status: 'inactive' });
      await addWorkItem();
      await settled();
      expect(receiver.on('/active')).toHaveLength(1);
      expect(receiver.on('/inactive')).toHaveLength(0);
      expect((await deliveries(inactive.id)).deliveries).toEqual([]);

      await api()
        .patch(`/api/v2/webhooks/${active.id}`, { webhook: { status: 'inactive' } })
        .expect(204);
      await api()
        .patch(`/api/v2/webhooks/${inactive.id}`, { webhook: { status: 'active' } })
        .expect(204);
      await addWorkItem();
      await settled();
      expect(receiver.on('/active')).toHaveLength(1);
      expect(receiver.on('/inactive')).toHaveLength(1);
    });

    it('signs deliveries after a rotation with the new secret only', async () => {
      const webhook = await createWebhook('/events');
      const oldSecret = await secretOf(webhook.id);
      await addWorkItem();
      await settled();
      const rotated = await api().post(`/api/v2/webhooks/${webhook.id}/signing_secret`).expect(201);
      const newSecret: string = rotated.body.signing_secret.secret;
      await addWorkItem();
      await settled();

      const [before, after] = receiver.on('/events');
      expect(signedWith(before!, oldSecret)).toBe(true);
      expect(signedWith(after!, newSecret)).toBe(true);
      expect(signedWith(after!, oldSecret)).toBe(false);
      const timestamp = header(after!, 'x-zendesk-webhook-signature-timestamp');
      expect(opensslSignature(newSecret, Buffer.concat([Buffer.from(timestamp), after!.body]))).toBe(
        header(after!, 'x-zendesk-webhook-signature'),
      );
    });

    it.each<[string, object, string, string]>([
      ['bearer_token', { token: 'tok-123' }, 'authorization', 'Bearer tok-123'],
      [
        'basic_auth',
        { username: 'zd', password: 'pw' },
        'authorization',
        `Basic ${Buffer.from('zd:pw').toString('base64')}`,
      ],
      ['api_key', { name: 'X-Api-Key', value: 'k-1' }, 'x-api-key', 'k-1'],
    ])(
      'adds %s credentials to each request without showing the secret part',
      async (type, data, name, value) => {
        const webhook = await createWebhook('/events', {
          authentication: { type, data, add_position: 'header' },
        });
        expect(webhook.authentication).toMatchObject({ type, add_position: 'header' });
        expect(JSON.stringify(webhook)).not.toMatch(/tok-123|"pw"|k-1/);
        await addWorkItem();
        await settled();
        expect(receiver.on('/events')[0]!.headers[name]).toBe(value);
      },
    );

    it('clears the delivery log on request and on reset', async () => {
      await createWebhook('/events');
      await addWorkItem();
      expect(await settled()).toHaveLength(1);
      await sim.control('delete', '/webhooks/deliveries');
      expect((await deliveries()).deliveries).toEqual([]);
      await addWorkItem();
      expect(await settled()).toHaveLength(1);
      await sim.control('post', '/reset', {});
      expect((await deliveries()).deliveries).toEqual([]);
      expect((await sim.get('/api/v2/webhooks').expect(200)).body.webhooks).toEqual([]);
    });
  });
});

describe('Webhook from SIM_WEBHOOK_URL', () => {
  const SECRET = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==';
  const receiver = new Receiver();
  let sim: SimHarness;

  beforeAll(async () => {
    await receiver.start();
    sim = await startSim({ webhook: { url: `${receiver.url}/default`, secret: SECRET } });
  });

  afterAll(async () => {
    await sim.close();
    await receiver.stop();
  });

  it('exists at start and after every reset, subscribed to all agent events and signed with the configured secret', async () => {
    for (const round of [1, 2]) {
      if (round === 2) await sim.control('post', '/reset', {});
      const list = await sim.get('/api/v2/webhooks').expect(200);
      expect(list.body.webhooks).toHaveLength(1);
      expect(list.body.webhooks[0]).toMatchObject({
        name: 'Simulator default',
        status: 'active',
        endpoint: `${receiver.url}/default`,
        subscriptions: AGENT_TYPES,
      });
      expect((await sim.get(`/api/v2/webhooks/${list.body.webhooks[0].id}/signing_secret`)).body).toEqual({
        signing_secret: { secret: SECRET, algorithm: 'sha256' },
      });
    }
    await sim.control('post', `/agents/${AGENT_ID}/work_items`, { channel: 'messaging' });
    const received = await waitFor('the default webhook to receive the event', () =>
      receiver.on('/default').length > 0 ? receiver.on('/default') : undefined,
    );
    expect(received).toHaveLength(1);
    expect(bodyOf(received[0]!).type).toBe('zen:event-type:agent.work_item_added');
    expect(signedWith(received[0]!, SECRET)).toBe(true);
  });
});
