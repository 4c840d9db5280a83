import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ZendeskClient, type DecodeDrop, type DecodeDropKind } from '@app/zendesk';
import type { Subscription } from 'rxjs';

/** What the router does with each kind of thing the decoder leaves out. */
const CONSEQUENCE: Record<DecodeDropKind, string> = {
  missing_channel: 'the agent is kept without that channel',
  missing_work_item: 'the channel is kept without that work item',
  malformed_included: 'what references it is kept without it',
  malformed_agent: 'the agent is left out of the router’s view and never acted on',
  malformed_status: 'the status is left out, so no rule can set it',
  malformed_capacity_rule: 'the capacity rule is left out, so no rule can change it',
  malformed_user: 'the user is left out, so the agent is shown without a name',
};

/** What a drop that does not decode is about, when it is not an agent. */
const SUBJECT: Record<Exclude<DecodeDropKind, 'malformed_agent'>, string> = {
  missing_channel: 'a channel',
  missing_work_item: 'a work item',
  malformed_included: 'an included resource',
  malformed_status: 'a status',
  malformed_capacity_rule: 'a capacity rule',
  malformed_user: 'a user',
};

/** Distinct kinds remembered; past this, new ones are only counted (a hostile answer cannot grow it). */
const MAX_KINDS = 200;

/**
 * Says at warn, once, each kind of thing the Zendesk client left out of an answer instead of
 * failing it (a channel `included` lacks, an agent that does not decode, ...): the first time it
 * is seen on an endpoint, with the agent, where and why. Repeats — the same thing for other
 * agents or on the next resync — go to debug; `router_zendesk_decode_dropped_total` counts all.
 */
@Injectable()
export class DecodeDropLog implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Zendesk');
  private readonly seen = new Set<string>();
  private saidFull = false;
  private subscription: Subscription | null = null;

  constructor(private readonly client: ZendeskClient) {}

  onModuleInit(): void {
    this.subscription = this.client.events$.subscribe((event) => {
      if (event.type === 'decode_dropped') this.note(event.endpoint, event.drop);
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  private note(endpoint: string, drop: DecodeDrop): void {
    const line = describe(endpoint, drop);
    const key = `${endpoint} ${drop.kind} ${drop.pattern}`;
    if (!this.seen.has(key) && this.seen.size < MAX_KINDS) {
      this.seen.add(key);
      this.logger.warn(`${line}. Repeats are counted in router_zendesk_decode_dropped_total, not logged`);
      return;
    }
    if (!this.seen.has(key) && !this.saidFull) {
      this.saidFull = true;
      this.logger.warn(
        `Zendesk answers lack or garble more than ${MAX_KINDS} kinds of things; new kinds are only counted in router_zendesk_decode_dropped_total`,
      );
    }
    this.logger.debug(line);
  }
}

/** One drop as a sentence: which answer, what and where, and what it means here. */
function describe(endpoint: string, drop: DecodeDrop): string {
  const agent = drop.agentId === null ? null : `agent ${drop.agentId}`;
  const owner = agent === null ? '' : ` of ${agent}`;
  const what =
    drop.kind === 'missing_channel' || drop.kind === 'missing_work_item'
      ? `${agent ?? 'a resource'} ${drop.reason} (at ${drop.path})`
      : drop.kind === 'malformed_agent'
        ? `${agent ?? 'an agent'} does not decode: ${drop.reason}`
        : `${SUBJECT[drop.kind]}${owner} does not decode: ${drop.reason}`;
  return `Zendesk ${endpoint} answer: ${what}; ${CONSEQUENCE[drop.kind]}`;
}
