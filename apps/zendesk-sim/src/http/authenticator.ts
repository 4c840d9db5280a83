import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { OAuthTokenIssuer } from '../oauth/oauth-token.issuer';
import type { Identity } from '../store/account.model';
import { AccountStore } from '../store/account.store';

/**
 * Resolves the caller (section 2): `Basic base64("{email}/token:{token}")` or `Bearer {oauth
 * token}` — the fixed one, or one the OAuth client was issued and that has not expired (2.1).
 * Email + password Basic is refused, as Zendesk does since password access was removed.
 */
@Injectable()
export class Authenticator {
  private oauthToken = '';

  constructor(
    private readonly store: AccountStore,
    private readonly issuer: OAuthTokenIssuer,
  ) {}

  configure(oauthToken: string): void {
    this.oauthToken = oauthToken;
  }

  identify(authorization: string | undefined): Identity | null {
    if (!authorization) return null;
    const [scheme = '', credentials = ''] = authorization.trim().split(/\s+/, 2);
    switch (scheme.toLowerCase()) {
      case 'basic':
        return this.fromApiToken(Buffer.from(credentials, 'base64').toString('utf8'));
      case 'bearer':
        return sameSecret(credentials, this.oauthToken) ||
          this.issuer.accessTokenState(credentials) === 'valid'
          ? (this.store.identities().find((i) => i.role === 'admin') ?? null)
          : null;
      default:
        return null;
    }
  }

  /**
   * Headers for a 401: an issued access token that expired gets an RFC 6750 challenge saying so
   * [assumed: Zendesk documents only the body], so a client knows a refresh will help.
   */
  challenge(authorization: string | undefined): Record<string, string> {
    const [scheme = '', credentials = ''] = (authorization ?? '').trim().split(/\s+/, 2);
    if (scheme.toLowerCase() !== 'bearer' || this.issuer.accessTokenState(credentials) !== 'expired')
      return {};
    return {
      'WWW-Authenticate':
        'Bearer realm="Zendesk", error="invalid_token", error_description="The access token expired"',
    };
  }

  private fromApiToken(decoded: string): Identity | null {
    const match = /^(.+)\/token:(.+)$/.exec(decoded);
    if (!match) return null;
    const [, email, token] = match;
    const identity = this.store.identities().find((i) => i.email.toLowerCase() === email!.toLowerCase());
    return identity && sameSecret(token!, identity.apiToken) ? identity : null;
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
