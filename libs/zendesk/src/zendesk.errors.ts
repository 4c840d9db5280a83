/** Why a Zendesk call failed; callers branch on this, never on messages. */
export enum ZendeskErrorCode {
  RATE_LIMITED = 'RATE_LIMITED',
  UNAUTHORIZED = 'UNAUTHORIZED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  BAD_REQUEST = 'BAD_REQUEST',
  UPSTREAM = 'UPSTREAM',
  TIMEOUT = 'TIMEOUT',
  CIRCUIT_OPEN = 'CIRCUIT_OPEN',
  NETWORK = 'NETWORK',
  INVALID_RESPONSE = 'INVALID_RESPONSE',
  /** The client was shut down or its request queue is full. */
  UNAVAILABLE = 'UNAVAILABLE',
}

/** Details carried by a `ZendeskError`; none of them ever holds a credential. */
export interface ZendeskErrorDetails {
  /** HTTP status, when Zendesk answered. */
  status?: number;
  /** Seconds Zendesk asked us to wait (429, 503). */
  retryAfterS?: number;
  /** `METHOD /path` of the request, without the query string or host. */
  request?: string;
  cause?: unknown;
}

/** The one error the Zendesk client throws. */
export class ZendeskError extends Error {
  readonly status: number | undefined;
  readonly retryAfterS: number | undefined;
  readonly request: string | undefined;

  constructor(
    readonly code: ZendeskErrorCode,
    message: string,
    details: ZendeskErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ZendeskError';
    this.status = details.status;
    this.retryAfterS = details.retryAfterS;
    this.request = details.request;
  }

  /** Whether trying the same idempotent call again may succeed. */
  get retryable(): boolean {
    switch (this.code) {
      case ZendeskErrorCode.RATE_LIMITED:
      case ZendeskErrorCode.UPSTREAM:
      case ZendeskErrorCode.TIMEOUT:
      case ZendeskErrorCode.NETWORK:
      case ZendeskErrorCode.CONFLICT:
        return true;
      case ZendeskErrorCode.UNAUTHORIZED:
      case ZendeskErrorCode.FORBIDDEN:
      case ZendeskErrorCode.NOT_FOUND:
      case ZendeskErrorCode.BAD_REQUEST:
      case ZendeskErrorCode.CIRCUIT_OPEN:
      case ZendeskErrorCode.INVALID_RESPONSE:
      case ZendeskErrorCode.UNAVAILABLE:
        return false;
    }
  }
}

/** The error code for an HTTP status Zendesk answered with. */
export function codeForStatus(status: number): ZendeskErrorCode {
  if (status === 401) return ZendeskErrorCode.UNAUTHORIZED;
  if (status === 403) return ZendeskErrorCode.FORBIDDEN;
  if (status === 404) return ZendeskErrorCode.NOT_FOUND;
  if (status === 409) return ZendeskErrorCode.CONFLICT;
  if (status === 429) return ZendeskErrorCode.RATE_LIMITED;
  if (status >= 500) return ZendeskErrorCode.UPSTREAM;
  return ZendeskErrorCode.BAD_REQUEST;
}
