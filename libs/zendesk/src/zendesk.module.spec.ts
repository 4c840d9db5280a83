import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ZendeskClient } from './zendesk.client';
import { ZendeskError, ZendeskErrorCode } from './zendesk.errors';
import { ZendeskModule } from './zendesk.module';

const OPTIONS = {
  baseUrl: 'http://127.0.0.1:9',
  auth: { type: 'oauth', accessToken: 'token-for-tests' },
} as const;

const SETTINGS = Symbol('SETTINGS');
@Module({ providers: [{ provide: SETTINGS, useValue: OPTIONS }], exports: [SETTINGS] })
class SettingsModule {}

describe('ZendeskModule', () => {
  it('provides a client from forRoot', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ZendeskModule.forRoot(OPTIONS)] }).compile();
    const client = moduleRef.get(ZendeskClient);
    expect(client).toBeInstanceOf(ZendeskClient);
    expect(client.budget()).toEqual({
      remaining: 180,
      accountRemaining: null,
      accountHolds: 0,
      queued: 0,
      queuedBy: { write: 0, read: 0, bulk: 0 },
      inFlight: 0,
      pausedUntil: null,
      breaker: 'closed',
    });
    await moduleRef.close();
  });

  it('provides a client from forRootAsync with injected settings, and closes it on shutdown', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ZendeskModule.forRootAsync({
          imports: [SettingsModule],
          inject: [SETTINGS],
          useFactory: (settings: typeof OPTIONS) => ({ ...settings, requestsPerMinute: 50 }),
        }),
      ],
    }).compile();
    const client = moduleRef.get(ZendeskClient);
    expect(client.budget().remaining).toBe(50);
    moduleRef.enableShutdownHooks();
    await moduleRef.close();
    let failure: unknown;
    try {
      await client.getAgentAvailability(1);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ZendeskError);
    expect((failure as ZendeskError).code).toBe(ZendeskErrorCode.UNAVAILABLE);
  });

  it('refuses bad options with every problem named and no secret shown', () => {
    expect(
      () =>
        new ZendeskClient({
          subdomain: 'acme corp',
          auth: { type: 'api_token', email: 'nope', token: '' },
          requestsPerMinute: 0,
        }),
    ).toThrow(
      'Invalid Zendesk client options: subdomain must look like "acme"; auth.email must be an email address; auth.token is required; requestsPerMinute must be a positive integer',
    );
  });
});
