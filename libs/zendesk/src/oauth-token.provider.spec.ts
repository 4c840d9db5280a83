import type { AxiosInstance } from 'axios';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OAuthTokenProvider, type OAuthTokenEvent } from './oauth-token.provider';
import { ZendeskError, ZendeskErrorCode } from './zendesk.errors';

interface Answer {
  status: number;
  data: unknown;
}

/** A token endpoint that answers what the test queues, and records what it was sent. */
class FakeTokenEndpoint {
  readonly sent: Array<Record<string, unknown>> = [];
  private readonly answers: Array<Answer | Promise<Answer>> = [];
  private issued = 0;

  /** The next answer: a fresh pair living `expiresIn` seconds, unless `answer` says otherwise. */
  queue(answer: Answer | Promise<Answer> = this.pair(1_800)): void {
    this.answers.push(answer);
  }

  pair(expiresIn: number): Answer {
    this.issued += 1;
    return {
      status: 201,
      data: {
        access_token: `access-${this.issued}`,
        refresh_token: `refresh-${this.issued}`,
        token_type: 'bearer',
        scope: 'read write',
        expires_in: expiresIn,
        refresh_token_expires_in: 2_592_000,
      },
    };
  }

  readonly http = {
    post: async (_url: string, body: Record<string, unknown>) => {
      this.sent.push(body);
      const next = this.answers.shift();
      if (!next) throw Object.assign(new Error('no answer queued'), { code: 'ECONNREFUSED' });
      return next;
    },
  } as unknown as AxiosInstance;
}

describe('OAuthTokenProvider', () => {
  let dir: string;
  let now: number;
  let endpoint: FakeTokenEndpoint;
  const clock = { now: () => now, setTimer: () => 0, clearTimer: () => undefined };

  function provider(
    options: { refreshToken?: string; accessToken?: string; storePath?: string | null } = {},
  ) {
    const tokens = new OAuthTokenProvider({
      tokenUrl: 'http://zendesk.test/oauth/tokens',
      clientId: 'router-client',
      clientSecret: 'client-secret-value',
      refreshToken: options.refreshToken ?? 'configured-refresh',
      accessToken: options.accessToken,
      storePath: options.storePath === undefined ? join(dir, 'oauth-tokens.json') : options.storePath,
      clock,
      http: endpoint.http,
    });
    const events: OAuthTokenEvent[] = [];
    tokens.events$.subscribe((event) => events.push(event));
    return { tokens, events };
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oauth-'));
    now = Date.parse('2026-12-01T09:00:00Z');
    endpoint = new FakeTokenEndpoint();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refreshes when it has no access token, then again ahead of expiry, and stores each pair', async () => {
    const { tokens } = provider();
    endpoint.queue();
    expect(await tokens.token()).toBe('access-1');
    expect(endpoint.sent).toEqual([
      {
        grant_type: 'refresh_token',
        refresh_token: 'configured-refresh',
        client_id: 'router-client',
        client_secret: 'client-secret-value',
      },
    ]);

    // 30 minutes of life: refreshed in its last fifth, at most 5 minutes ahead (25 minutes in).
    now += 24 * 60_000;
    expect(await tokens.token()).toBe('access-1');
    now += 60_000;
    endpoint.queue();
    expect(await tokens.token()).toBe('access-2');
    expect(endpoint.sent[1]).toMatchObject({ refresh_token: 'refresh-1' });

    const path = join(dir, 'oauth-tokens.json');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({
      access_token: 'access-2',
      refresh_token: 'refresh-2',
      access_token_expires_at: new Date(now + 1_800_000).toISOString(),
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['oauth-tokens.json']);
  });

  it('creates the directory of its store when it is missing', async () => {
    const { tokens } = provider({ storePath: join(dir, 'data', 'oauth-tokens.json') });
    endpoint.queue();
    await tokens.token();
    expect(JSON.parse(readFileSync(join(dir, 'data', 'oauth-tokens.json'), 'utf8'))).toMatchObject({
      refresh_token: 'refresh-1',
    });
  });

  it('runs one refresh at a time: callers meanwhile wait for it and get the new token', async () => {
    const { tokens } = provider();
    let answer!: (value: Answer) => void;
    endpoint.queue(new Promise<Answer>((resolve) => (answer = resolve)));
    const waiting = Array.from({ length: 5 }, () => tokens.token());
    const afterRejection = tokens.afterUnauthorized('whatever', undefined, {});
    answer(endpoint.pair(1_800));
    expect(await Promise.all([...waiting, afterRejection])).toEqual(Array(6).fill('access-1'));
    expect(endpoint.sent).toHaveLength(1);
  });

  it('starts from the stored pair after a restart, unless the operator configured a new refresh token', async () => {
    endpoint.queue();
    await provider().tokens.token();

    const restarted = provider();
    expect(await restarted.tokens.token()).toBe('access-1');
    expect(endpoint.sent).toHaveLength(1);

    const reauthorised = provider({ refreshToken: 'new-refresh-from-operator' });
    endpoint.queue();
    expect(await reauthorised.tokens.token()).toBe('access-2');
    expect(endpoint.sent[1]).toMatchObject({ refresh_token: 'new-refresh-from-operator' });
  });

  it('after a 401, retries with a token replaced meanwhile, refreshes an expired one, and gives up otherwise', async () => {
    const { tokens } = provider({ accessToken: 'configured-access' });
    // An access token of unknown age: used until Zendesk says it expired.
    expect(await tokens.token()).toBe('configured-access');
    endpoint.queue();
    expect(
      await tokens.afterUnauthorized('configured-access', undefined, { error: "Couldn't authenticate you" }),
    ).toBe('access-1');
    // A request that was sent with the old token before the refresh just tries the new one.
    expect(await tokens.afterUnauthorized('configured-access', undefined, {})).toBe('access-1');
    // A fresh token of known life refused without a word about expiry: a refresh would not help.
    expect(
      await tokens.afterUnauthorized('access-1', undefined, { error: "Couldn't authenticate you" }),
    ).toBeNull();
    endpoint.queue();
    const challenge =
      'Bearer realm="Zendesk", error="invalid_token", error_description="The access token expired"';
    expect(await tokens.afterUnauthorized('access-1', challenge, {})).toBe('access-2');
    expect(endpoint.sent).toHaveLength(2);
  });

  it('reports a refused refresh token clearly, without any token, and does not hammer the endpoint', async () => {
    const { tokens, events } = provider();
    endpoint.queue({
      status: 400,
      data: { error: 'invalid_grant', error_description: 'The refresh token configured-refresh was revoked' },
    });
    const failure = await tokens.token().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ZendeskError);
    expect(failure).toMatchObject({ code: ZendeskErrorCode.UNAUTHORIZED, status: 401 });
    const message = (failure as Error).message;
    expect(message).toMatch(/invalid_grant/);
    expect(message).toMatch(/ZENDESK_OAUTH_REFRESH_TOKEN/);
    expect(message).not.toContain('configured-refresh');
    expect(message).not.toContain('client-secret-value');
    expect(events).toEqual([{ type: 'refresh_failed', message, permanent: true }]);

    await expect(tokens.token()).rejects.toBe(failure);
    expect(endpoint.sent).toHaveLength(1);
    now += 61_000;
    endpoint.queue();
    expect(await tokens.token()).toBe('access-1');
  });

  it('keeps working from memory when the pair cannot be stored, and says so', async () => {
    writeFileSync(join(dir, 'not-a-dir'), '');
    const { tokens, events } = provider({ storePath: join(dir, 'not-a-dir', 'oauth-tokens.json') });
    endpoint.queue();
    expect(await tokens.token()).toBe('access-1');
    expect(events[0]).toMatchObject({
      type: 'store_failed',
      message: expect.stringMatching(/ENOTDIR|EEXIST/),
    });
    expect(JSON.stringify(events)).not.toContain('access-1');
    expect(events[1]).toMatchObject({ type: 'refreshed' });
  });

  it('takes a pair another process stored meanwhile instead of refreshing a replaced one', async () => {
    endpoint.queue(endpoint.pair(600));
    const first = provider();
    expect(await first.tokens.token()).toBe('access-1');
    const second = provider();
    now += 9 * 60_000;
    endpoint.queue(endpoint.pair(600));
    expect(await second.tokens.token()).toBe('access-2');

    // `first` still holds the pair `second` replaced: it picks up the stored one.
    expect(await first.tokens.token()).toBe('access-2');
    expect(first.events.map((e) => e.type)).toEqual(['refreshed', 'adopted_stored_pair']);
    expect(endpoint.sent).toHaveLength(2);
  });
});
