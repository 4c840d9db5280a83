import { createHash, randomBytes } from 'node:crypto';

/** The dashboard's session cookie. */
export const SESSION_COOKIE = 'router_session';

/** Wrong tokens an address may send within `SIGN_IN_WINDOW_MS` before its sign-ins are refused with 429. */
export const SIGN_IN_MAX_FAILURES = 5;
export const SIGN_IN_WINDOW_MS = 15 * 60_000;

/** Sessions kept at once; past it the oldest is ended. Addresses whose failures are counted, likewise. */
const MAX_SESSIONS = 1_000;
const MAX_TRACKED_ADDRESSES = 10_000;

/** One signed-in browser: an optional name given at sign-in, and when it ends (epoch ms). */
export interface Session {
  readonly name: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * Sessions of the dashboard, kept in memory under a random id (32 bytes): the cookie is the id,
 * the store keeps only its SHA-256. Each lasts `SESSION_TTL_S` from sign-in (fixed, not sliding:
 * the cookie's Max-Age says the truth). None survives a restart, which is also how the API token
 * changes: a new token ends every session, and a browser signs in again with one request.
 * Also counts wrong tokens per client address, for the sign-in's rate limit.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly failures = new Map<string, number[]>();
  readonly ttlMs: number;

  constructor(
    ttlS: number,
    private readonly now: () => number = Date.now,
  ) {
    this.ttlMs = ttlS * 1000;
  }

  /** Starts a session; returns the id to put in the cookie. */
  create(name: string | null): { id: string; session: Session } {
    const id = randomBytes(32).toString('base64url');
    const at = this.now();
    const session: Session = { name, createdAt: at, expiresAt: at + this.ttlMs };
    this.sessions.set(digest(id), session);
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return { id, session };
  }

  /** The live session with this id, or undefined (unknown, ended or expired). */
  get(id: string): Session | undefined {
    const key = digest(id);
    const session = this.sessions.get(key);
    if (session && session.expiresAt <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return session;
  }

  /** Ends the session with this id; true when there was one. */
  end(id: string): boolean {
    return this.sessions.delete(digest(id));
  }

  /**
   * Seconds an address must wait before it may try again (at least 1), or 0: it has sent
   * `SIGN_IN_MAX_FAILURES` wrong tokens within the window.
   */
  retryAfterS(address: string): number {
    const recent = this.recentFailures(address);
    if (recent.length < SIGN_IN_MAX_FAILURES) return 0;
    return Math.max(1, Math.ceil((recent[0]! + SIGN_IN_WINDOW_MS - this.now()) / 1000));
  }

  /** Counts a wrong token from this address; returns how many are counted within the window. */
  failed(address: string): number {
    const recent = [...this.recentFailures(address), this.now()];
    this.failures.delete(address);
    this.failures.set(address, recent);
    while (this.failures.size > MAX_TRACKED_ADDRESSES)
      this.failures.delete(this.failures.keys().next().value!);
    return recent.length;
  }

  /** A right token forgets the address's failures. */
  succeeded(address: string): void {
    this.failures.delete(address);
  }

  private recentFailures(address: string): number[] {
    const since = this.now() - SIGN_IN_WINDOW_MS;
    return (this.failures.get(address) ?? []).filter((at) => at > since);
  }
}

function digest(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** The value of one cookie in a `Cookie` header (RFC 6265 section 5.4), or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq !== -1 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}
