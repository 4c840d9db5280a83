import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { Identity } from '../store/account.model';
import { AccountStore } from '../store/account.store';

/**
 * Resolves the caller (section 2): `Basic base64("{email}/token:{token}")` or `Bearer {oauth
 * token}`. Email + password Basic is refused, as Zendesk does since password access was removed.
 */
@Injectable()
export class Authenticator {
  private oauthToken = '';

  constructor(private readonly store: AccountStore) {}

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
        return sameSecret(credentials, this.oauthToken)
          ? (this.store.identities().find((i) => i.role === 'admin') ?? null)
          : null;
      default:
        return null;
    }
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
