import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { SIM_CONFIG, type SimConfig } from '../config/sim.config';

/** An OAuth error answer of the token endpoint (RFC 6749 section 5.2). */
export class OAuthGrantError extends Error {
  constructor(
    readonly status: number,
    readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type',
    readonly description: string,
  ) {
    super(description);
    this.name = 'OAuthGrantError';
  }
}

/** What a bearer token is to the account. */
export type AccessTokenState = 'valid' | 'expired' | 'unknown';

interface Issued {
  readonly expiresAt: number;
}

/**
 * Zendesk's expiring OAuth tokens (section 2.1) for the simulator's one OAuth client: refreshing
 * rotates the pair, so the old access and refresh tokens stop working at once, and a refresh token
 * used twice is refused. Lives are real time (the router compares them with its own clock), so a
 * frozen or fast simulator clock does not change them. A reset of the account leaves them alone.
 */
@Injectable()
export class OAuthTokenIssuer {
  private readonly accessTokens = new Map<string, Issued>();
  private readonly refreshTokens = new Map<string, Issued>();
  /** Refresh tokens already exchanged, so a second use is told apart from a made-up one. */
  private readonly used = new Set<string>();

  constructor(@Inject(SIM_CONFIG) private readonly config: SimConfig) {
    const { refreshToken, refreshTokenTtlS } = config.oauthClient;
    this.refreshTokens.set(refreshToken, { expiresAt: Date.now() + refreshTokenTtlS * 1000 });
  }

  accessTokenState(token: string): AccessTokenState {
    const issued = this.accessTokens.get(token);
    if (!issued) return 'unknown';
    return Date.now() < issued.expiresAt ? 'valid' : 'expired';
  }

  /** `POST /oauth/tokens` with `grant_type=refresh_token`: a new pair, the old one gone. */
  refresh(input: Readonly<Record<string, unknown>>) {
    const client = this.config.oauthClient;
    const text = (key: string): string | undefined => {
      const value = input[key];
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    const grantType = text('grant_type');
    if (grantType === undefined) throw new OAuthGrantError(400, 'invalid_request', 'grant_type is required');
    if (grantType !== 'refresh_token')
      throw new OAuthGrantError(
        400,
        'unsupported_grant_type',
        `grant_type ${grantType} is not supported here`,
      );
    if (text('client_id') !== client.clientId || text('client_secret') !== client.clientSecret)
      throw new OAuthGrantError(401, 'invalid_client', 'Client authentication failed');
    const refreshToken = text('refresh_token');
    if (refreshToken === undefined)
      throw new OAuthGrantError(400, 'invalid_request', 'refresh_token is required');
    const current = this.refreshTokens.get(refreshToken);
    if (!current) {
      throw new OAuthGrantError(
        400,
        'invalid_grant',
        this.used.has(refreshToken)
          ? 'The refresh token was already used: a refresh replaces the pair'
          : 'The refresh token is not valid',
      );
    }
    if (Date.now() >= current.expiresAt) {
      this.refreshTokens.delete(refreshToken);
      throw new OAuthGrantError(400, 'invalid_grant', 'The refresh token expired');
    }
    const accessLifeS = lifeOf(input.expires_in, 'expires_in', client.accessTokenTtlS);
    const refreshLifeS = lifeOf(
      input.refresh_token_expires_in,
      'refresh_token_expires_in',
      client.refreshTokenTtlS,
    );
    // The pair is replaced: every access token issued so far for this client stops working too.
    this.refreshTokens.delete(refreshToken);
    this.used.add(refreshToken);
    this.accessTokens.clear();
    const accessToken = `sim-access-${randomBytes(24).toString('base64url')}`;
    const nextRefresh = `sim-refresh-${randomBytes(24).toString('base64url')}`;
    const now = Date.now();
    this.accessTokens.set(accessToken, { expiresAt: now + accessLifeS * 1000 });
    this.refreshTokens.set(nextRefresh, { expiresAt: now + refreshLifeS * 1000 });
    return {
      access_token: accessToken,
      token_type: 'bearer',
      scope: 'read write',
      expires_in: accessLifeS,
      refresh_token: nextRefresh,
      refresh_token_expires_in: refreshLifeS,
    };
  }
}

/** A requested life in whole seconds, or the configured one when none is asked for. */
function lifeOf(raw: unknown, key: string, fallback: number): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new OAuthGrantError(400, 'invalid_request', `${key} must be a whole number of seconds`);
  return value;
}
