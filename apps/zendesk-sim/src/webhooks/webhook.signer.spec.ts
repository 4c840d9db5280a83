import { createHmac } from 'node:crypto';
import { newSigningSecret, signWebhookPayload, signatureTimestamp } from './webhook.signer';

// The sample vector of the older verification page (section 11.7, DOC:S31).
const SECRET = 'HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=';
const BODY = Buffer.from('{"say": "hello"}', 'utf8');
const TIMESTAMP = '2021-07-25T10:00:00Z';
const BODY_FIRST_SIGNATURE = 'tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw=';

/** HMAC over one concatenated string, computed without the code under test. */
function hmacBase64(key: string, message: string): string {
  return createHmac('sha256', key).update(message).digest('base64');
}

describe('signWebhookPayload', () => {
  it('reproduces the documented vector only when the body comes first and the key is the raw string', () => {
    // Guards our reading of the vector: if this failed, the other expectations would prove nothing.
    expect(hmacBase64(SECRET, `${BODY.toString('utf8')}${TIMESTAMP}`)).toBe(BODY_FIRST_SIGNATURE);
  });

  it('signs timestamp + body, so it does not produce the body-first sample signature', () => {
    const signature = signWebhookPayload(SECRET, TIMESTAMP, BODY);
    expect(signature).not.toBe(BODY_FIRST_SIGNATURE);
    expect(signature).toBe(hmacBase64(SECRET, `${TIMESTAMP}${BODY.toString('utf8')}`));
    expect(signature.startsWith('Rry/4TtI')).toBe(true);
  });

  it('uses the secret as UTF-8 text, never base64-decoded', () => {
    const decodedKey = createHmac('sha256', Buffer.from(SECRET, 'base64'))
      .update(`${TIMESTAMP}${BODY.toString('utf8')}`)
      .digest('base64');
    expect(signWebhookPayload(SECRET, TIMESTAMP, BODY)).not.toBe(decodedKey);
  });

  it('signs the exact body bytes, including non-ASCII ones', () => {
    const body = Buffer.from('{"name":"Müller"}', 'utf8');
    expect(signWebhookPayload('s3cret', TIMESTAMP, body)).toBe(
      createHmac('sha256', 's3cret')
        .update(Buffer.concat([Buffer.from(TIMESTAMP), body]))
        .digest('base64'),
    );
  });

  it('gives padded standard base64 of a SHA-256 digest (44 characters)', () => {
    expect(signWebhookPayload(SECRET, TIMESTAMP, BODY)).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });
});

describe('signatureTimestamp', () => {
  it('is second-precision UTC with Z, cutting the milliseconds', () => {
    expect(signatureTimestamp(Date.UTC(2021, 2, 25, 5, 9, 27, 999))).toBe('2021-03-25T05:09:27Z');
  });
});

describe('newSigningSecret', () => {
  it('is a fresh 44-character string each time', () => {
    const a = newSigningSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(newSigningSecret()).not.toBe(a);
  });
});
