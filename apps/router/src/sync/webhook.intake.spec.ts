import { WebhookSignatureVerifier } from '@app/zendesk';
import { createHmac } from 'node:crypto';
import { WebhookIntake } from './webhook.intake';

const SECRET = 'a-webhook-signing-secret';
const NOW = Date.parse('2026-11-23T10:00:00Z');
const TIMESTAMP = '2026-11-23T10:00:00Z';

function signed(body: string, { secret = SECRET, timestamp = TIMESTAMP } = {}) {
  const signature = createHmac('sha256', secret)
    .update(timestamp + body)
    .digest('base64');
  return {
    headers: { 'x-zendesk-webhook-signature': signature, 'x-zendesk-webhook-signature-timestamp': timestamp },
    body: Buffer.from(body),
  };
}

const EVENT = JSON.stringify({
  account_id: 1,
  detail: { account_id: '1', agent_id: '360099100001', version: '58' },
  event: {
    updated_at: '2026-11-23T09:59:59.123456789Z',
    previous_state: 'offline',
    new_state: 'online',
    channel: 'support',
  },
  id: '01JPAX7Q3M2V9K5D8H4T6WBRZC',
  subject: 'zen:agent:360099100001',
  time: '2026-11-23T09:59:59.123456789Z',
  type: 'zen:event-type:agent.state_changed',
  zendesk_event_version: '2022-11-06',
});

describe('WebhookIntake', () => {
  let intake: WebhookIntake;
  beforeEach(() => {
    intake = new WebhookIntake(new WebhookSignatureVerifier({ secrets: [SECRET], now: () => NOW }), 1_024, 3);
  });

  it('accepts a signed, fresh event and hands over its envelope', () => {
    const { headers, body } = signed(EVENT);
    expect(intake.receive(headers, body)).toEqual({
      status: 200,
      kind: 'accepted',
      envelope: {
        id: '01JPAX7Q3M2V9K5D8H4T6WBRZC',
        type: 'zen:event-type:agent.state_changed',
        time: '2026-11-23T09:59:59.123456789Z',
        detail: { agent_id: '360099100001', version: '58' },
        event: {
          updated_at: '2026-11-23T09:59:59.123456789Z',
          previous_state: 'offline',
          new_state: 'online',
          channel: 'support',
        },
      },
    });
  });

  it('acknowledges a replayed event id without accepting it again', () => {
    const { headers, body } = signed(EVENT);
    intake.receive(headers, body);
    expect(intake.receive(headers, body)).toEqual({
      status: 200,
      kind: 'duplicate',
      eventId: '01JPAX7Q3M2V9K5D8H4T6WBRZC',
    });
  });

  it('forgets the oldest ids beyond its memory', () => {
    const ids = ['a', 'b', 'c', 'd'];
    for (const id of ids) {
      const { headers, body } = signed(EVENT.replace('01JPAX7Q3M2V9K5D8H4T6WBRZC', id));
      expect(intake.receive(headers, body).kind).toBe('accepted');
    }
    const first = signed(EVENT.replace('01JPAX7Q3M2V9K5D8H4T6WBRZC', 'a'));
    expect(intake.receive(first.headers, first.body).kind).toBe('accepted');
  });

  it.each([
    ['a wrong secret', () => signed(EVENT, { secret: 'another-secret' }), 401, 'bad_signature'],
    ['a stale timestamp', () => signed(EVENT, { timestamp: '2026-11-23T09:54:59Z' }), 401, 'stale_timestamp'],
    [
      'a timestamp from a clock ahead',
      () => signed(EVENT, { timestamp: '2026-11-23T10:05:01Z' }),
      401,
      'stale_timestamp',
    ],
    [
      'a timestamp that is no time',
      () => signed(EVENT, { timestamp: 'yesterday' }),
      401,
      'malformed_timestamp',
    ],
    [
      'a body changed after signing',
      () => ({ ...signed(EVENT), body: Buffer.from(EVENT.replace('online', 'offline')) }),
      401,
      'bad_signature',
    ],
    ['no signature', () => ({ headers: {}, body: Buffer.from(EVENT) }), 401, 'missing_signature'],
    [
      'no timestamp',
      () => ({ headers: { 'x-zendesk-webhook-signature': 'c2ln' }, body: Buffer.from(EVENT) }),
      401,
      'missing_timestamp',
    ],
    ['a body over the limit', () => signed(JSON.stringify({ padding: 'x'.repeat(2_000) })), 413, 'too_large'],
    ['malformed JSON', () => signed('{"id": '), 400, 'malformed'],
    [
      'JSON that is not an event',
      () => signed('{"id": "x", "type": "zen:event-type:agent.state_changed"}'),
      400,
      'malformed',
    ],
  ])('rejects %s', (_case, request, status, cause) => {
    const { headers, body } = request();
    const outcome = intake.receive(headers, body);
    expect(outcome).toMatchObject({ status, kind: 'rejected', cause, reason: expect.any(String) });
    // Nothing was remembered: the genuine event is still accepted afterwards.
    const genuine = signed(EVENT);
    expect(intake.receive(genuine.headers, genuine.body).kind).toBe('accepted');
  });
});
