import { createHmac, timingSafeEqual } from 'node:crypto';

/** The signature header Zendesk sends with every webhook request (lowercase, as Node exposes it). */
export const WEBHOOK_SIGNATURE_HEADER = 'x-zendesk-webhook-signature';
/** The header holding the timestamp that was signed. */
export const WEBHOOK_TIMESTAMP_HEADER = 'x-zendesk-webhook-signature-timestamp';

/** Options of `WebhookSignatureVerifier`. */
export interface WebhookSignatureOptions {
  /** Signing secrets accepted now (several while rotating), each used as a plain UTF-8 key. */
  secrets: readonly string[];
  /** Largest accepted distance between the signed timestamp and now, in seconds (default 300). */
  maxSkewS?: number;
  /** Time source, epoch ms (tests inject one). */
  now?: () => number;
}

/** Why a webhook request was not accepted. */
export type SignatureFailure =
  'missing_signature' | 'missing_timestamp' | 'malformed_timestamp' | 'stale_timestamp' | 'bad_signature';

/** The verdict on one webhook request; `detail` is safe to log (it never holds a secret). */
export type SignatureVerdict =
  | { valid: true; secretIndex: number; timestamp: Date }
  | { valid: false; reason: SignatureFailure; detail: string };

const SHA256_BYTES = 32;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Zendesk's signature (section 11.7): base64(HMAC-SHA256(secret, timestamp + raw body)). */
export function zendeskWebhookSignature(secret: string, timestamp: string, rawBody: Buffer): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(Buffer.from(timestamp, 'utf8'))
    .update(rawBody)
    .digest('base64');
}

/**
 * Checks that a webhook request comes from Zendesk and is fresh: the signed timestamp must be
 * within `maxSkewS` of now (against replay), and the signature must match the timestamp header
 * followed by the raw body bytes exactly as received — never a re-serialized body, and never the
 * body-first order of an older copy of Zendesk's documentation.
 */
export class WebhookSignatureVerifier {
  private readonly keys: Buffer[];
  private readonly maxSkewMs: number;
  private readonly now: () => number;

  constructor(options: WebhookSignatureOptions) {
    if (
      !Array.isArray(options.secrets) ||
      options.secrets.length === 0 ||
      options.secrets.some((s) => typeof s !== 'string' || s === '')
    ) {
      throw new Error('WebhookSignatureVerifier needs at least one signing secret, and no empty ones');
    }
    const skew = options.maxSkewS ?? 300;
    if (!Number.isFinite(skew) || skew <= 0) throw new Error('maxSkewS must be a positive number of seconds');
    this.keys = options.secrets.map((secret: string) => Buffer.from(secret, 'utf8'));
    this.maxSkewMs = skew * 1000;
    this.now = options.now ?? Date.now;
  }

  verify(input: {
    signature: string | undefined;
    timestamp: string | undefined;
    rawBody: Buffer;
  }): SignatureVerdict {
    const signature = input.signature?.trim();
    const timestamp = input.timestamp?.trim();
    if (!signature) return fail('missing_signature', `The ${WEBHOOK_SIGNATURE_HEADER} header is missing`);
    if (!timestamp) return fail('missing_timestamp', `The ${WEBHOOK_TIMESTAMP_HEADER} header is missing`);
    const signedAt = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(timestamp)
      ? Date.parse(timestamp)
      : NaN;
    if (Number.isNaN(signedAt))
      return fail('malformed_timestamp', 'The signature timestamp is not an ISO 8601 time');
    const skewMs = Math.abs(this.now() - signedAt);
    if (skewMs > this.maxSkewMs) {
      return fail(
        'stale_timestamp',
        `The signature timestamp is ${Math.round(skewMs / 1000)} s away from now (at most ${this.maxSkewMs / 1000} s accepted)`,
      );
    }
    const given = BASE64.test(signature) ? Buffer.from(signature, 'base64') : Buffer.alloc(0);
    if (given.length !== SHA256_BYTES)
      return fail('bad_signature', 'The signature is not a base64 HMAC-SHA256');
    // The message is the timestamp header as sent, then the body bytes as received.
    const message = Buffer.concat([Buffer.from(input.timestamp!, 'utf8'), input.rawBody]);
    let matched = -1;
    // Every key is tried, so the time taken does not tell which one (if any) matched.
    this.keys.forEach((key, index) => {
      const expected = createHmac('sha256', key).update(message).digest();
      if (timingSafeEqual(expected, given) && matched < 0) matched = index;
    });
    if (matched < 0) return fail('bad_signature', 'The signature does not match the body and timestamp');
    return { valid: true, secretIndex: matched, timestamp: new Date(signedAt) };
  }
}

function fail(reason: SignatureFailure, detail: string): SignatureVerdict {
  return { valid: false, reason, detail };
}
