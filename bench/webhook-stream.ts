import { zendeskWebhookSignature } from '@app/zendesk';

/** `rules` agent rules, one a line, as a generator of rule files writes them. */
export function generatedRules(rules: number, prefix: string): string {
  const lines = ['rules:'];
  for (let i = 0; i < rules; i++)
    lines.push(
      `  - { name: ${prefix}-${i}, priority: ${i % 7}, when: { all: [{ fact: idleMinutes, operator: greaterThan, value: ${i % 60} }, { fact: status.name, operator: equal, value: online }] }, then: { set_status: away } }`,
    );
  return `${lines.join('\n')}\n`;
}

/**
 * Signed agent events sent to a router one after another, as Zendesk does, 5 ms apart, until
 * stopped; each answer's status and time are recorded.
 */
export class WebhookStream {
  readonly statuses: number[] = [];
  readonly durationsMs: number[] = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly agents: readonly number[],
  ) {
    this.done = this.run();
  }

  /** Resolves once `more` further webhooks have been answered. */
  async answered(more: number): Promise<void> {
    const target = this.statuses.length + more;
    while (this.statuses.length < target && !this.stopped) await new Promise((r) => setTimeout(r, 10));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  private async run(): Promise<void> {
    for (let n = 0; !this.stopped; n++) {
      const agent = this.agents[n % this.agents.length]!;
      const body = JSON.stringify({
        id: `01JSTREAM${String(n).padStart(17, '0')}`,
        type: 'zen:event-type:agent.state_changed',
        account_id: 1,
        time: new Date().toISOString(),
        zendesk_event_version: '2022-11-06',
        subject: `zen:agent:${agent}`,
        detail: { agent_id: String(agent), account_id: '1', version: String(1_000 + n) },
        event: { channel: 'messaging', current: 'online', previous: 'offline' },
      });
      const timestamp = new Date().toISOString();
      const started = performance.now();
      const res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-zendesk-webhook-signature': zendeskWebhookSignature(this.secret, timestamp, Buffer.from(body)),
          'x-zendesk-webhook-signature-timestamp': timestamp,
        },
        body,
      });
      await res.arrayBuffer();
      this.durationsMs.push(performance.now() - started);
      this.statuses.push(res.status);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
