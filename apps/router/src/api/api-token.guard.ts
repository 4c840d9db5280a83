import { HttpException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import type { ControlActor } from '../audit/audit.store';
import type { RouterConfig } from '../config/router.config';
import { ROUTER_CONFIG } from '../config/router.tokens';
import { crossSiteProblem } from './same-origin';
import { cookieValue, SESSION_COOKIE, SessionStore } from './session.store';

/**
 * Names under which clients commonly send credentials in a query string (`?access_token=`,
 * `?token=`, `?api_key=`, `?apiKey=`, `?secret=`, …). The API refuses them and the log redacts them.
 */
export const CREDENTIAL_NAME = /token|key|secret|passw|auth|signature|session/i;

/** Headers clients commonly send an API key in; the API takes only `Authorization`. */
export const API_KEY_HEADERS = ['x-api-key', 'api-key', 'x-auth-token', 'x-access-token'] as const;

/** Who made an API call: the bearer token, or a dashboard session (with the name given at sign-in). */
export type Caller = ControlActor;

/** A request the guard let through, with who made it. */
export type AuthedRequest = Request & { caller?: Caller };

/** A credential a request presents: the bearer token (checked by the guard), or a session id. */
type Credential = { kind: 'bearer'; token: string } | { kind: 'session'; id: string };

/** A source of the credential a caller presents; the first that has one is used. */
type TokenSource = (req: Request) => Credential | undefined;

/** `Authorization: Bearer <token>` (the scheme is case-insensitive, RFC 7235). */
const bearerHeader: TokenSource = (req) => {
  const token = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
  return token === undefined ? undefined : { kind: 'bearer', token };
};

/** The dashboard's session cookie (see `SessionController`). */
const sessionCookie: TokenSource = (req) => {
  const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
  return id ? { kind: 'session', id } : undefined;
};

/** Where the API takes the credential from: the bearer header first, then the session cookie. */
const TOKEN_SOURCES: readonly TokenSource[] = [bearerHeader, sessionCookie];

/** Methods that change nothing; any other made with the session cookie must come from the router's own origin. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * `/api` needs `Authorization: Bearer <ROUTER_API_TOKEN>`, compared in constant time, or the
 * session cookie of a signed-in dashboard. A state-changing call made with the cookie must come
 * from the router's own origin (`Sec-Fetch-Site: same-origin`, else a matching `Origin`; see
 * `crossSiteProblem`), or it is refused with 403. A request that carries a credential anywhere
 * else (a query parameter, an `X-API-Key` header) is refused, whatever its Authorization header
 * says: URLs and such headers end up in logs and proxies. Lets the call through with `caller` set.
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  private readonly expected: Buffer;
  private readonly publicUrl: string | null;

  constructor(
    @Inject(ROUTER_CONFIG) config: RouterConfig,
    private readonly sessions: SessionStore,
  ) {
    this.expected = Buffer.from(config.api.token);
    this.publicUrl = config.http.publicUrl;
  }

  /** Whether `token` is the API token, in constant time. */
  isApiToken(token: string): boolean {
    const given = Buffer.from(token);
    return given.length === this.expected.length && timingSafeEqual(given, this.expected);
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
    const credential = TOKEN_SOURCES.map((source) => source(req)).find((value) => value !== undefined);
    if (credential?.kind === 'bearer' && this.isApiToken(credential.token)) {
      (req as AuthedRequest).caller = { via: 'bearer', name: null };
      return true;
    }
    const session = credential?.kind === 'session' ? this.sessions.get(credential.id) : undefined;
    if (!session) {
      throw new HttpException(
        {
          error: 'unauthorized',
          message:
            credential?.kind === 'session'
              ? 'the session has ended or expired: sign in again (POST /api/session)'
              : 'send Authorization: Bearer <ROUTER_API_TOKEN>',
        },
        401,
      );
    }
    const crossSite = SAFE_METHODS.has(req.method) ? null : crossSiteProblem(req, this.publicUrl);
    if (crossSite) throw new HttpException({ error: 'forbidden', message: crossSite }, 403);
    (req as AuthedRequest).caller = { via: 'session', name: session.name };
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
