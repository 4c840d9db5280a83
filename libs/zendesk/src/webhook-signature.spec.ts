import { spawnSync } from 'node:child_process';
import { WebhookSignatureVerifier, zendeskWebhookSignature } from './webhook-signature';

/** The signature as the openssl line of section 11.7 computes it, independently of our code. */
function opensslSignature(secret: string, timestamp: string, body: Buffer): string {
  const result = spawnSync('sh', ['-c', 'openssl dgst -sha256 -hmac "$SECRET" -binary | base64'], {
    input: Buffer.concat([Buffer.from(timestamp, 'utf8'), body]),
    env: { ...process.env, SECRET: secret },
  });
  if (result.status !== 0) throw new Error(`openssl failed: ${result.stderr.toString()}`);
  return result.stdout.toString().trim();
}

const SECRET = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==';
const TIMESTAMP = '2025-03-14T09:12:45Z';
const AT = Date.parse(TIMESTAMP);
const BODY = Buffer.from(
  '{"type":"zen:event-type:agent.state_changed","detail":{"agent_id":"360099123401","version":"58"}}',
);

describe('webhook signatures', () => {
  const verifier = new WebhookSignatureVerifier({ secrets: [SECRET], now: () => AT });

  it.each([
    ['a JSON event', BODY],
    ['non-ASCII text', Buffer.from('{"name":"Zoë Müller — 担当"}', 'utf8')],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x80, 0x7d])],
    ['an empty body', Buffer.alloc(0)],
  ])('accepts %s signed timestamp-first, as openssl computes it', (_case, body) => {
    const signature = opensslSignature(SECRET, TIMESTAMP, body);
    expect(zendeskWebhookSignature(SECRET, TIMESTAMP, body)).toBe(signature);
    expect(verifier.verify({ signature, timestamp: TIMESTAMP, rawBody: body })).toEqual({
      valid: true,
      secretIndex: 0,
      timestamp: new Date(AT),
    });
  });

  it('rejects the body-first order of the older documentation example', () => {
    // Section 11.7's sample vector: its published signature only verifies with body first.
    const secret = 'HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=';
    const timestamp = '2021-07-25T10:00:00Z';
    const body = Buffer.from('{"say": "hello"}');
    const sample = new WebhookSignatureVerifier({ secrets: [secret], now: () => Date.parse(timestamp) });
    const bodyFirst = 'tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw=';
    expect(opensslSignature(secret, '', Buffer.concat([body, Buffer.from(timestamp)]))).toBe(bodyFirst);
    expect(sample.verify({ signature: bodyFirst, timestamp, rawBody: body })).toMatchObject({
      valid: false,
      reason: 'bad_signature',
    });
    const timestampFirst = opensslSignature(secret, timestamp, body);
    expect(timestampFirst).not.toBe(bodyFirst);
    expect(sample.verify({ signature: timestampFirst, timestamp, rawBody: body }).valid).toBe(true);
  });

  it('rejects a re-serialized body, a changed byte, another secret and another timestamp', () => {
    const signature = opensslSignature(SECRET, TIMESTAMP, BODY);
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(BODY.toString()), null, 1));
    const changed = Buffer.from(BODY);
    changed[10] = changed[10]! ^ 1;
    for (const rawBody of [reserialized, changed]) {
      expect(verifier.verify({ signature, timestamp: TIMESTAMP, rawBody })).toMatchObject({
        reason: 'bad_signature',
      });
    }
    const other = new WebhookSignatureVerifier({ secrets: ['another-secret'], now: () => AT });
    expect(other.verify({ signature, timestamp: TIMESTAMP, rawBody: BODY })).toMatchObject({
      reason: 'bad_signature',
    });
    expect(verifier.verify({ signature, timestamp: '2025-03-14T09:12:46Z', rawBody: BODY })).toMatchObject({
      reason: 'bad_signature',
    });
  });

  it('accepts any of several secrets during rotation and says which matched', () => {
    const rotating = new WebhookSignatureVerifier({ secrets: ['old-secret', 'new-secret'], now: () => AT });
    for (const [index, secret] of ['old-secret', 'new-secret'].entries()) {
      const signature = opensslSignature(secret, TIMESTAMP, BODY);
      expect(rotating.verify({ signature, timestamp: TIMESTAMP, rawBody: BODY })).toMatchObject({
        valid: true,
        secretIndex: index,
      });
    }
  });

  it('accepts timestamps up to the skew window away, on both sides, and no further', () => {
    for (const offsetS of [-300, 300, -301, 301]) {
      const timestamp = new Date(AT + offsetS * 1000).toISOString().replace('.000Z', 'Z');
      const signature = opensslSignature(SECRET, timestamp, BODY);
      const verdict = verifier.verify({ signature, timestamp, rawBody: BODY });
      if (Math.abs(offsetS) <= 300) expect(verdict.valid).toBe(true);
      else expect(verdict).toMatchObject({ valid: false, reason: 'stale_timestamp' });
    }
  });

  it.each([
    [{ signature: undefined, timestamp: TIMESTAMP }, 'missing_signature'],
    [{ signature: '  ', timestamp: TIMESTAMP }, 'missing_signature'],
    [{ signature: 'abc', timestamp: undefined }, 'missing_timestamp'],
    [{ signature: 'abc', timestamp: 'yesterday' }, 'malformed_timestamp'],
    [{ signature: 'abc', timestamp: '1741943565' }, 'malformed_timestamp'],
    [{ signature: 'not base64!', timestamp: TIMESTAMP }, 'bad_signature'],
    [{ signature: Buffer.alloc(16).toString('base64'), timestamp: TIMESTAMP }, 'bad_signature'],
  ])('refuses %j as %s without throwing', (headers, reason) => {
    const verdict = verifier.verify({ ...headers, rawBody: BODY });
    expect(verdict).toMatchObject({ valid: false, reason });
    expect(JSON.stringify(verdict)).not.toContain(SECRET);
  });

  it('accepts fractional seconds in the timestamp', () => {
    const timestamp = '2025-03-14T09:12:45.123Z';
    const signature = opensslSignature(SECRET, timestamp, BODY);
    expect(verifier.verify({ signature, timestamp, rawBody: BODY }).valid).toBe(true);
  });

  it('refuses to be built without a usable secret or with a bad skew, naming no secret', () => {
    expect(() => new WebhookSignatureVerifier({ secrets: [] })).toThrow(/at least one signing secret/);
    expect(() => new WebhookSignatureVerifier({ secrets: ['ok', ''] })).toThrow(/no empty ones/);
    expect(() => new WebhookSignatureVerifier({ secrets: ['s3cr3t'], maxSkewS: 0 })).toThrow(/maxSkewS/);
    expect(() => new WebhookSignatureVerifier({ secrets: ['s3cr3t'], maxSkewS: 0 })).not.toThrow(/s3cr3t/);
  });
});
