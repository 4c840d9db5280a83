import { createHmac, randomBytes } from 'node:crypto';

/** The only signing algorithm Zendesk reports for webhook secrets (section 11.8). */
export const SIGNING_ALGORITHM = 'sha256';

/**
 * The `x-zendesk-webhook-signature-timestamp` value for a moment: second-precision UTC with `Z`
 * (section 11.6). Milliseconds are cut, not rounded, so the stamp never lies in the future.
 */
export function signatureTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * `base64(HMAC-SHA256(secret, timestamp + body))` as section 11.7 resolves its conflict: the
 * timestamp comes first, and the secret string's UTF-8 bytes are the key (never base64-decoded).
 */
export function signWebhookPayload(secret: string, timestamp: string, body: Buffer): string {
  return createHmac(SIGNING_ALGORITHM, Buffer.from(secret, 'utf8'))
    .update(Buffer.from(timestamp, 'utf8'))
    .update(body)
    .digest('base64');
}

/**
 * A fresh signing secret shaped like Zendesk's (`HRkRd4…-mhau…zeA=`): 32 random bytes in URL-safe
 * base64 that keeps its padding. The `-`, `_` and `=` catch a verifier that decodes the secret
 * instead of using the string as the key.
 */
export function newSigningSecret(): string {
  return randomBytes(32).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
