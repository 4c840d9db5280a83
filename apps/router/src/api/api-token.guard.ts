import { HttpException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import type { RouterConfig } from '../config/router.config';
import { ROUTER_CONFIG } from '../config/router.tokens';

/**
 * Names under which clients commonly send credentials in a query string (`?access_token=`,
 * `?token=`, `?api_key=`, `?apiKey=`, `?secret=`, …). The API refuses them and the log redacts them.
 */
export const CREDENTIAL_NAME = /token|key|secret|passw|auth|signature|session/i;

/** Headers clients commonly send an API key in; the API takes only `Authorization`. */
export const API_KEY_HEADERS = ['x-api-key', 'api-key', 'x-auth-token', 'x-access-token'] as const;

/** A source of the token a caller presents; the first that has one is used. */
type TokenSource = (req: Request) => string | undefined;

/** `Authorization: Bearer <token>` (the scheme is case-insensitive, RFC 7235). */
const bearerHeader: TokenSource = (req) => /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];

/** Where the API takes the token from. The dashboard's session cookie will be the second source. */
const TOKEN_SOURCES: readonly TokenSource[] = [bearerHeader];

/**
 * `/api` needs `Authorization: Bearer <ROUTER_API_TOKEN>`, compared in constant time. A request
 * that carries a credential anywhere else (a query parameter, an `X-API-Key` header) is refused,
 * whatever its Authorization header says: URLs and such headers end up in logs and proxies.
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(ROUTER_CONFIG) config: RouterConfig) {
    this.expected = Buffer.from(config.api.token);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const misplaced = misplacedCredential(req);
    if (misplaced) {
      throw new HttpException(
        {
          error: 'unauthorized',
          message: `a credential in ${misplaced} is not accepted (it would be written to logs): send Authorization: Bearer <ROUTER_API_TOKEN>`,
        },
        401,
      );
    }
    const token = TOKEN_SOURCES.map((source) => source(req)).find((value) => value !== undefined) ?? '';
    const given = Buffer.from(token);
    if (given.length !== this.expected.length || !timingSafeEqual(given, this.expected)) {
      throw new HttpException(
        { error: 'unauthorized', message: 'send Authorization: Bearer <ROUTER_API_TOKEN>' },
        401,
      );
    }
    return true;
  }
}

/** Where a request carries a credential the API does not take (`the query parameter token`), or null. */
function misplacedCredential(req: Request): string | null {
  const query = new URL(req.originalUrl, 'http://router').searchParams;
  for (const name of query.keys())
    if (CREDENTIAL_NAME.test(name)) return `the query parameter ${JSON.stringify(name)}`;
  for (const header of API_KEY_HEADERS) if (req.headers[header] !== undefined) return `the header ${header}`;
  return null;
}

/** A 400 whose message names the bad field. */
export function badRequest(field: string, expected: string, got: unknown): HttpException {
  return new HttpException(
    { error: 'bad_request', message: `${field} must be ${expected} (got ${JSON.stringify(got)})` },
    400,
  );
}
