import { Inject, Injectable } from '@nestjs/common';
import { SimClock } from '../clock/sim.clock';
import { SIM_CONFIG, type SimConfig } from '../config/sim.config';
import { AGENT_EVENT_TYPES, type AgentEventType } from '../store/account.model';
import { Prng, ulid } from '../store/prng';
import { newSigningSecret } from './webhook.signer';

/** Whether a webhook receives events. */
export type WebhookStatus = 'active' | 'inactive';

/** Credentials added to every request of a webhook (section 11.6); always sent as headers. */
export type WebhookAuthentication =
  | { readonly type: 'bearer_token'; readonly token: string }
  | { readonly type: 'basic_auth'; readonly username: string; readonly password: string }
  | { readonly type: 'api_key'; readonly name: string; readonly value: string };

/**
 * A webhook subscribed to agent events (section 11.1). Only event webhooks exist here, so the
 * HTTP method and request format are always POST and JSON and are not stored.
 */
export interface Webhook {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly status: WebhookStatus;
  readonly endpoint: string;
  readonly subscriptions: readonly AgentEventType[];
  readonly authentication: WebhookAuthentication | null;
  readonly signingSecret: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What a caller chooses about a webhook; everything else the registry decides. */
export interface WebhookInput {
  name: string;
  description: string;
  status: WebhookStatus;
  endpoint: string;
  subscriptions: readonly AgentEventType[];
  authentication: WebhookAuthentication | null;
}

/** Name of the webhook made from `SIM_WEBHOOK_URL`, so a receiver gets events without any setup. */
export const DEFAULT_WEBHOOK_NAME = 'Simulator default';

const ID_SEED = 0x3eb400c;

/** The account's webhooks, oldest first; the only place they change. */
@Injectable()
export class WebhookRegistry {
  private webhooks = new Map<string, Webhook>();
  private readonly idPrng = new Prng(ID_SEED);

  constructor(
    @Inject(SIM_CONFIG) private readonly config: SimConfig,
    private readonly clock: SimClock,
  ) {}

  /** Forgets every webhook, then recreates the configured default one (start and reset). */
  reset(): void {
    // Ids are not reseeded: a receiver that looks secrets up by webhook id must not meet an old id
    // again with a new secret after a reset.
    this.webhooks = new Map();
    const configured = this.config.webhook;
    if (!configured) return;
    const webhook = this.create({
      name: DEFAULT_WEBHOOK_NAME,
      description: 'Created at start from SIM_WEBHOOK_URL',
      status: 'active',
      endpoint: configured.url,
      subscriptions: AGENT_EVENT_TYPES,
      authentication: null,
    });
    if (configured.secret !== null)
      this.webhooks.set(webhook.id, { ...webhook, signingSecret: configured.secret });
  }

  list(): Webhook[] {
    return [...this.webhooks.values()];
  }

  find(id: string): Webhook | undefined {
    return this.webhooks.get(id);
  }

  /** Active webhooks subscribed to `type`, in creation order. */
  subscribers(type: AgentEventType): Webhook[] {
    return this.list().filter((w) => w.status === 'active' && w.subscriptions.includes(type));
  }

  create(input: WebhookInput): Webhook {
    const now = this.clock.now();
    const webhook: Webhook = {
      ...input,
      id: ulid(now, this.idPrng),
      subscriptions: [...new Set(input.subscriptions)],
      signingSecret: newSigningSecret(),
      createdAt: now,
      updatedAt: now,
    };
    this.webhooks.set(webhook.id, webhook);
    return webhook;
  }

  /** Applies the given fields; undefined for an unknown id. */
  update(id: string, changes: Partial<WebhookInput>): Webhook | undefined {
    const current = this.webhooks.get(id);
    if (!current) return undefined;
    const given = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    const next: Webhook = {
      ...current,
      ...given,
      subscriptions: [...new Set(changes.subscriptions ?? current.subscriptions)],
      updatedAt: this.clock.now(),
    };
    this.webhooks.set(id, next);
    return next;
  }

  delete(id: string): boolean {
    return this.webhooks.delete(id);
  }

  /** Replaces the signing secret; deliveries signed from now on use the new one. */
  rotateSecret(id: string): Webhook | undefined {
    const current = this.webhooks.get(id);
    if (!current) return undefined;
    const next: Webhook = { ...current, signingSecret: newSigningSecret(), updatedAt: this.clock.now() };
    this.webhooks.set(id, next);
    return next;
  }
}
