import { WebhookDeliveries, type DeliverySinks } from './webhook-deliveries';

/** Sinks that keep what they are given. */
function sinks() {
  const counted: string[] = [];
  const lines: string[] = [];
  const sink: DeliverySinks = {
    counted: (kind, cause) => counted.push(cause ? `${kind}:${cause}` : kind),
    warn: (message) => lines.push(message),
  };
  return { sink, counted, lines };
}

const accepted = { kind: 'accepted' as const };
const badSignature = {
  kind: 'rejected' as const,
  cause: 'bad_signature' as const,
  reason: 'The signature does not match the body and timestamp',
};

describe('WebhookDeliveries', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: Date.parse('2026-11-23T10:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('counts every outcome by kind and cause', () => {
    const { sink, counted } = sinks();
    const deliveries = new WebhookDeliveries(sink);
    deliveries.record(accepted);
    deliveries.record({ kind: 'duplicate' });
    deliveries.record(badSignature);
    deliveries.record({ kind: 'rejected', cause: 'too_large', reason: 'over the limit' });
    expect(counted).toEqual(['accepted', 'duplicate', 'rejected:bad_signature', 'rejected:too_large']);
    expect(deliveries.report()).toMatchObject({
      recent: 4,
      recentRejected: 2,
      recentByCause: { bad_signature: 1, too_large: 1 },
      rejectedTotal: 2,
      lastRejection: { cause: 'too_large', reason: 'over the limit', at: '2026-11-23T10:00:00.000Z' },
      mostlyRejected: false,
    });
  });

  it('is mostly rejected when more than half of the recent deliveries were, and not before five', () => {
    const { sink } = sinks();
    const deliveries = new WebhookDeliveries(sink, { window: 10 });
    for (let i = 0; i < 4; i++) deliveries.record(badSignature);
    expect(deliveries.report().mostlyRejected).toBe(false);
    deliveries.record(badSignature);
    expect(deliveries.report()).toMatchObject({ recent: 5, recentRejected: 5, mostlyRejected: true });
    // Accepted deliveries push the rejected ones out of the window of ten.
    for (let i = 0; i < 5; i++) deliveries.record(accepted);
    expect(deliveries.report()).toMatchObject({ recent: 10, recentRejected: 5, mostlyRejected: false });
    for (let i = 0; i < 5; i++) deliveries.record(accepted);
    expect(deliveries.report()).toMatchObject({ recent: 10, recentRejected: 0, rejectedTotal: 5 });
  });

  it('forgets deliveries older than the window age', () => {
    const { sink } = sinks();
    const deliveries = new WebhookDeliveries(sink, { maxAgeMs: 60_000 });
    for (let i = 0; i < 6; i++) deliveries.record(badSignature);
    expect(deliveries.report().mostlyRejected).toBe(true);
    jest.advanceTimersByTime(60_001);
    expect(deliveries.report()).toMatchObject({ recent: 0, mostlyRejected: false, rejectedTotal: 6 });
  });

  it('logs the first rejection of a cause at once, then one line a minute with the count', () => {
    const { sink, lines } = sinks();
    const deliveries = new WebhookDeliveries(sink);
    deliveries.record(badSignature);
    expect(lines).toEqual([
      expect.stringMatching(
        /^Webhook rejected \(bad_signature\): The signature does not match .*ZENDESK_WEBHOOK_SECRET/,
      ),
    ]);
    for (let i = 0; i < 99; i++) deliveries.record(badSignature);
    deliveries.record({
      kind: 'rejected',
      cause: 'stale_timestamp',
      reason: 'The signature timestamp is 900 s away',
    });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^Webhook rejected \(stale_timestamp\): .*900 s.*clock/);
    jest.advanceTimersByTime(59_999);
    expect(lines).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^99 more webhooks rejected \(bad_signature\) since the last line/);
    // A quiet minute later, the next one is logged at once again.
    jest.advanceTimersByTime(60_000);
    deliveries.record(badSignature);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/^Webhook rejected \(bad_signature\)/);
  });

  it('writes the counts still waiting when closed', () => {
    const { sink, lines } = sinks();
    const deliveries = new WebhookDeliveries(sink);
    for (let i = 0; i < 3; i++) deliveries.record(badSignature);
    deliveries.close();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^2 more webhooks rejected/);
    jest.advanceTimersByTime(120_000);
    expect(lines).toHaveLength(2);
  });
});
