import type { OnApplicationShutdown } from '@nestjs/common';
import axios from 'axios';
import { Subject, merge, type Observable } from 'rxjs';
import { RateBudget, systemClock, type RequestPriority } from './rate-budget';
import {
  decodeAssigneePage,
  decodeAvailability,
  decodeAvailabilityPage,
  decodeCapacityRule,
  decodeCapacityRules,
  decodeStatusChange,
  decodeStatusJob,
  decodeSigningSecret,
  decodeStatusPage,
  decodeUser,
  decodeUsers,
  decodeWebhook,
  decodeWebhookPage,
  decodeWorkItemPage,
  type DecodeDrop,
  type PageOf,
} from './zendesk.decoder';
import type {
  AgentAvailability,
  AgentStatusChange,
  CapacityAssignee,
  CapacityRule,
  CapacityRuleUpdate,
  ChannelName,
  ChannelStatus,
  StatusJob,
  UnifiedStatus,
  Webhook,
  WebhookInput,
  WorkItem,
  ZendeskUser,
} from './zendesk.domain';
import { OAuthTokenProvider, useOAuthTokens } from './oauth-token.provider';
import { ZendeskError, ZendeskErrorCode } from './zendesk.errors';
import {
  ZendeskHttp,
  type BreakerState,
  type ClockOffset,
  type ZendeskClientEvent,
  type ZendeskRequest,
} from './zendesk.http';
import { authorizationHeader, resolveZendeskOptions, type ZendeskClientOptions } from './zendesk.options';

/** Which agents `listAgentAvailabilities` returns (section 8.3); filters combine with AND. */
export interface AvailabilityFilter {
  channelStatus?: { channel: ChannelName; status: ChannelStatus };
  statusId?: number;
  agentIds?: readonly number[];
  remainingCapacity?: { channel: ChannelName; atLeast: number };
  /** Report only this channel of each agent (agents are not filtered). */
  selectChannel?: ChannelName;
}

/** Per-call options. */
export interface CallOptions {
  /** Defaults: `write` for changes, `read` for single reads, `bulk` for list walks. */
  priority?: RequestPriority;
  signal?: AbortSignal;
}

/** How much of the rate budget is left and how much work waits for it. */
export interface BudgetReport {
  /** Calls that could go now, by our own window and by what Zendesk said the account has left. */
  remaining: number;
  /** What Zendesk last said the account has left (`X-Rate-Limit-Remaining`), less our calls since. */
  accountRemaining: number | null;
  /** Times calls were held back because the account had little left (other integrations share it). */
  accountHolds: number;
  queued: number;
  queuedBy: Record<RequestPriority, number>;
  inFlight: number;
  pausedUntil: Date | null;
  breaker: BreakerState;
}

const AVAILABILITIES = '/api/v2/agent_availabilities';
const STATUSES = '/api/v2/agent_availabilities/agent_statuses';
const CAPACITY_RULES = '/api/v2/capacity/rules';
const WEBHOOKS = '/api/v2/webhooks';
const USERS = '/api/v2/users';
const MAX_PAGE_SIZE = 100;
const MAX_BULK_IDS = 100;

/**
 * The only code that talks to Zendesk: typed verbs over the Agent Availability, Unified Agent
 * Status and Capacity Rules APIs, every call within the rate budget, behind the breaker.
 */
export class ZendeskClient implements OnApplicationShutdown {
  private readonly http: ZendeskHttp;
  /** The Users API (section 13): a Support API with its own limit, so its own budget and breaker. */
  private readonly usersHttp: ZendeskHttp;
  private readonly drops = new Subject<ZendeskClientEvent>();

  /** Responses, failures, retries, 429s, breaker changes and decode drops as they happen. */
  readonly events$: Observable<ZendeskClientEvent>;

  constructor(options: ZendeskClientOptions) {
    const resolved = resolveZendeskOptions(options);
    const clock = options.clock ?? systemClock;
    const authorization = authorizationHeader(resolved.auth);
    const instance = axios.create({
      baseURL: resolved.baseUrl,
      headers: {
        ...(authorization === null ? {} : { Authorization: authorization }),
        Accept: 'application/json',
        'User-Agent': resolved.userAgent,
      },
      // Zendesk ids fit in doubles today (section 8.6); JSON.parse is what every caller uses.
      responseType: 'json',
      maxRedirects: 0,
    });
    const budget = new RateBudget({
      requestsPerWindow: resolved.requestsPerMinute,
      windowMs: resolved.budgetWindowMs,
      maxQueue: resolved.maxQueuedRequests,
      shares: { read: resolved.readShare },
      clock,
    });
    this.http = new ZendeskHttp(resolved, instance, budget, clock);
    const usersBudget = new RateBudget({
      requestsPerWindow: resolved.usersRequestsPerMinute,
      windowMs: resolved.budgetWindowMs,
      maxQueue: resolved.maxQueuedRequests,
      clock,
    });
    this.usersHttp = new ZendeskHttp(resolved, instance, usersBudget, clock);
    this.events$ = merge(this.http.events$, this.usersHttp.events$, this.drops);
    const auth = resolved.auth;
    if (auth.type === 'oauth_refresh') {
      this.tokens = new OAuthTokenProvider({
        tokenUrl: `${resolved.baseUrl}/oauth/tokens`,
        clientId: auth.clientId,
        clientSecret: auth.clientSecret,
        refreshToken: auth.refreshToken,
        accessToken: auth.accessToken,
        storePath: auth.tokenStorePath ?? null,
        clock,
        timeoutMs: resolved.timeoutMs,
      });
      useOAuthTokens(instance, this.tokens);
    }
  }

  /** With expiring OAuth tokens (`oauth_refresh`): their provider, for its events; else null. */
  readonly tokens: OAuthTokenProvider | null = null;

  // ---- agent availability --------------------------------------------------------------------

  /**
   * Every agent matching `filter`, one page at a time, following Zendesk's cursor links. A resync
   * of N agents costs ceil(N / pageSize) requests.
   */
  async *listAgentAvailabilities(
    filter: AvailabilityFilter = {},
    options: CallOptions & { pageSize?: number } = {},
  ): AsyncGenerator<AgentAvailability[]> {
    const query: Record<string, string> = { 'page[size]': String(pageSize(options.pageSize)) };
    if (filter.channelStatus)
      query['filter[channel_status]'] = `${filter.channelStatus.channel}:${filter.channelStatus.status}`;
    if (filter.statusId !== undefined) query['filter[agent_status_id]'] = String(filter.statusId);
    if (filter.agentIds) {
      if (filter.agentIds.length === 0) return;
      query['filter[agent_id]'] = filter.agentIds.join(',');
    }
    if (filter.remainingCapacity) {
      query['filter[remaining_capacity]'] =
        `${filter.remainingCapacity.channel}:${filter.remainingCapacity.atLeast}`;
    }
    if (filter.selectChannel) query.select_channel = filter.selectChannel;
    yield* this.pages(
      { method: 'GET', url: AVAILABILITIES, query, endpoint: 'availability.list' },
      decodeAvailabilityPage,
      options.priority ?? 'bulk',
      options.signal,
    );
  }

  /** One agent; with `allWorkItems`, follows each channel's work-item pages so none is missing. */
  async getAgentAvailability(
    agentId: number,
    options: CallOptions & { allWorkItems?: boolean } = {},
  ): Promise<AgentAvailability> {
    const answer = await this.read(
      `${AVAILABILITIES}/${agentIdSegment(agentId)}`,
      'availability.show',
      options,
    );
    const drops: DecodeDrop[] = [];
    const agent = this.decoded('availability.show', decodeAvailability, answer.data, drops);
    if (options.allWorkItems) {
      for (const channel of agent.channels) {
        if (!channel.hasMoreWorkItems) continue;
        // With a gap in the first page, read from the start rather than after its last item.
        const gap = drops.some((d) => d.channel === channel.name);
        const known = gap ? [] : channel.workItems;
        channel.workItems = await this.allWorkItems(agentId, channel.name, known, options);
        channel.hasMoreWorkItems = false;
      }
    }
    return agent;
  }

  // ---- users ---------------------------------------------------------------------------------

  /** One user by id (section 13), within the Users API's own budget. */
  async getUser(userId: number, options: CallOptions = {}): Promise<ZendeskUser> {
    const answer = await this.usersHttp.send({
      method: 'GET',
      url: `${USERS}/${agentIdSegment(userId)}`,
      priority: options.priority ?? 'read',
      idempotent: true,
      endpoint: 'users.show',
      signal: options.signal,
    });
    return decodeUser(answer.data);
  }

  /**
   * The users with these ids, 100 per `show_many` call, within the Users API's own budget. Ids
   * Zendesk does not know are simply missing from the answer.
   */
  async getUsers(userIds: readonly number[], options: CallOptions = {}): Promise<ZendeskUser[]> {
    const ids = [...new Set(userIds.map(agentIdSegment))];
    const users: ZendeskUser[] = [];
    for (let i = 0; i < ids.length; i += MAX_BULK_IDS) {
      const answer = await this.usersHttp.send({
        method: 'GET',
        url: `${USERS}/show_many`,
        query: { ids: ids.slice(i, i + MAX_BULK_IDS).join(',') },
        priority: options.priority ?? 'bulk',
        idempotent: true,
        endpoint: 'users.show_many',
        signal: options.signal,
      });
      users.push(...this.decoded('users.show_many', decodeUsers, answer.data));
    }
    return users;
  }

  /** The users whose email is `email` (`query=email:…`), within the Users API's own budget. */
  async findUsersByEmail(email: string, options: CallOptions = {}): Promise<ZendeskUser[]> {
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new RangeError(`Not an email address: ${email}`);
    const answer = await this.usersHttp.send({
      method: 'GET',
      url: `${USERS}/search`,
      query: { query: `email:${email}` },
      priority: options.priority ?? 'read',
      idempotent: true,
      endpoint: 'users.search',
      signal: options.signal,
    });
    return this.decoded('users.search', decodeUsers, answer.data);
  }

  // ---- unified statuses ----------------------------------------------------------------------

  /** The account's default and custom statuses (every page). */
  async listStatuses(options: CallOptions = {}): Promise<UnifiedStatus[]> {
    const all: UnifiedStatus[] = [];
    for await (const page of this.pages(
      {
        method: 'GET',
        url: STATUSES,
        query: { 'page[size]': String(MAX_PAGE_SIZE) },
        endpoint: 'statuses.list',
      },
      decodeStatusPage,
      options.priority ?? 'read',
      options.signal,
    )) {
      all.push(...page);
    }
    return all;
  }

  /** Sets one agent's unified status. Setting the same status twice is harmless, so it retries. */
  async setAgentStatus(
    agentId: number,
    statusId: number,
    options: CallOptions = {},
  ): Promise<AgentStatusChange> {
    const answer = await this.write(
      `${STATUSES}/agents/${agentIdSegment(agentId)}`,
      { id: statusId },
      'statuses.set',
      options,
    );
    return decodeStatusChange(answer.data);
  }

  /**
   * Sets many agents' status with bulk jobs (100 agents each) and waits for them to complete;
   * returns the finished jobs. Per-agent failures are in each job's `results`.
   */
  async bulkSetAgentStatus(
    agentIds: readonly number[],
    statusId: number,
    options: CallOptions & { pollIntervalMs?: number; maxPolls?: number } = {},
  ): Promise<StatusJob[]> {
    const jobs: StatusJob[] = [];
    for (let i = 0; i < agentIds.length; i += MAX_BULK_IDS) {
      const ids = agentIds.slice(i, i + MAX_BULK_IDS);
      const query = { ids: ids.map(agentIdSegment).join(',') };
      const answer = await this.write(
        `${STATUSES}/agents/update_many`,
        { id: statusId },
        'statuses.update_many',
        options,
        query,
      );
      jobs.push(await this.waitForJob(decodeStatusJob(answer.data), options));
    }
    return jobs;
  }

  /** A bulk status job as it stands now. */
  async getStatusJob(jobId: string, options: CallOptions = {}): Promise<StatusJob> {
    const answer = await this.read(
      `${STATUSES}/job_statuses/${encodeURIComponent(jobId)}`,
      'statuses.job',
      options,
    );
    return decodeStatusJob(answer.data);
  }

  // ---- capacity rules ------------------------------------------------------------------------

  async listCapacityRules(options: CallOptions = {}): Promise<CapacityRule[]> {
    const answer = await this.read(CAPACITY_RULES, 'capacity_rules.list', options);
    return this.decoded('capacity_rules.list', decodeCapacityRules, answer.data);
  }

  async getCapacityRule(ruleId: string, options: CallOptions = {}): Promise<CapacityRule> {
    const answer = await this.read(
      `${CAPACITY_RULES}/${encodeURIComponent(ruleId)}`,
      'capacity_rules.show',
      options,
    );
    return decodeCapacityRule(answer.data);
  }

  /** Changes a capacity rule; capacities merge per channel. A PUT of the same values is harmless. */
  async updateCapacityRule(
    ruleId: string,
    update: CapacityRuleUpdate,
    options: CallOptions = {},
  ): Promise<CapacityRule> {
    const body: Record<string, unknown> = {};
    if (update.name !== undefined) body.name = update.name;
    if (update.description !== undefined) body.description = update.description;
    if (update.capacities !== undefined) body.capacities = update.capacities;
    if (update.agentIds !== undefined) body.agent_ids = update.agentIds;
    const answer = await this.write(
      `${CAPACITY_RULES}/${encodeURIComponent(ruleId)}`,
      body,
      'capacity_rules.update',
      options,
    );
    return decodeCapacityRule(answer.data);
  }

  /** Which rule each agent is in, a page at a time; optionally only some agents or one rule. */
  async *listCapacityAssignees(
    filter: { agentIds?: readonly number[]; ruleId?: string } = {},
    options: CallOptions & { pageSize?: number } = {},
  ): AsyncGenerator<CapacityAssignee[]> {
    const query: Record<string, string> = { 'page[size]': String(pageSize(options.pageSize)) };
    if (filter.agentIds) {
      if (filter.agentIds.length === 0) return;
      query['filter[agent_ids]'] = filter.agentIds.join(',');
    }
    const url = filter.ruleId
      ? `${CAPACITY_RULES}/${encodeURIComponent(filter.ruleId)}/assignees`
      : `${CAPACITY_RULES}/assignees`;
    yield* this.pages(
      { method: 'GET', url, query, endpoint: 'capacity_rules.assignees' },
      decodeAssigneePage,
      options.priority ?? 'bulk',
      options.signal,
    );
  }

  // ---- webhooks ------------------------------------------------------------------------------

  /** Every webhook of the account. */
  async listWebhooks(options: CallOptions = {}): Promise<Webhook[]> {
    const all: Webhook[] = [];
    for await (const page of this.pages(
      { method: 'GET', url: WEBHOOKS, endpoint: 'webhooks.list' },
      decodeWebhookPage,
      options.priority ?? 'read',
      options.signal,
    )) {
      all.push(...page);
    }
    return all;
  }

  /** Creates an event webhook (POST + JSON). Not idempotent, so never retried. */
  async createWebhook(input: WebhookInput, options: CallOptions = {}): Promise<Webhook> {
    const answer = await this.http.send({
      method: 'POST',
      url: WEBHOOKS,
      body: { webhook: webhookBody(input) },
      priority: options.priority ?? 'write',
      idempotent: false,
      endpoint: 'webhooks.create',
      signal: options.signal,
    });
    return decodeWebhook(answer.data);
  }

  /** Replaces a webhook's settings (Zendesk answers 204). */
  async updateWebhook(webhookId: string, input: WebhookInput, options: CallOptions = {}): Promise<void> {
    await this.write(
      `${WEBHOOKS}/${encodeURIComponent(webhookId)}`,
      { webhook: webhookBody(input) },
      'webhooks.update',
      options,
    );
  }

  /** The secret Zendesk signs this webhook's requests with (section 11.8). */
  async getWebhookSigningSecret(webhookId: string, options: CallOptions = {}): Promise<string> {
    const answer = await this.read(
      `${WEBHOOKS}/${encodeURIComponent(webhookId)}/signing_secret`,
      'webhooks.signing_secret',
      options,
    );
    return decodeSigningSecret(answer.data);
  }

  // ---- state ---------------------------------------------------------------------------------

  /** Budget left, work waiting for it, and the breaker's state. */
  budget(): BudgetReport {
    const pausedUntil = this.http.budget.pausedUntil();
    const budget = this.http.budget;
    return {
      remaining: budget.remaining(),
      accountRemaining: budget.accountRemaining(),
      accountHolds: budget.holdsForAccount(),
      queued: budget.queueLength(),
      queuedBy: {
        write: budget.queueLength('write'),
        read: budget.queueLength('read'),
        bulk: budget.queueLength('bulk'),
      },
      inFlight: budget.inFlight(),
      pausedUntil: pausedUntil === null ? null : new Date(pausedUntil),
      breaker: this.http.breakerState(),
    };
  }

  /** Zendesk's clock minus ours, from the `Date` header of its last answer; null before one. */
  clockOffset(): ClockOffset | null {
    return this.http.zendeskClockOffset();
  }

  /** Stops the client: calls waiting for budget fail with UNAVAILABLE. */
  close(): void {
    this.http.close();
    this.usersHttp.close();
    this.tokens?.close();
  }

  onApplicationShutdown(): void {
    this.close();
  }

  // ---- internals -----------------------------------------------------------------------------

  /** One GET of one resource; a targeted read unless the caller says otherwise. */
  private read(url: string, endpoint: string, options: CallOptions) {
    return this.http.send({
      method: 'GET',
      url,
      priority: options.priority ?? 'read',
      idempotent: true,
      endpoint,
      signal: options.signal,
    });
  }

  /** A PUT that sets values, so sending it twice is harmless. */
  private write(
    url: string,
    body: unknown,
    endpoint: string,
    options: CallOptions,
    query?: Record<string, string>,
  ) {
    return this.http.send({
      method: 'PUT',
      url,
      query,
      body,
      priority: options.priority ?? 'write',
      idempotent: true,
      endpoint,
      signal: options.signal,
    });
  }

  /** Decodes an answer and reports on `events$` what the decoder left out of it. */
  private decoded<T>(
    endpoint: string,
    decode: (raw: unknown, drops: DecodeDrop[]) => T,
    raw: unknown,
    drops: DecodeDrop[] = [],
  ): T {
    const value = decode(raw, drops);
    for (const drop of drops) this.drops.next({ type: 'decode_dropped', endpoint, drop });
    return value;
  }

  private async *pages<T>(
    first: Omit<ZendeskRequest, 'priority' | 'idempotent' | 'signal'>,
    decode: (raw: unknown, drops: DecodeDrop[]) => PageOf<T>,
    priority: RequestPriority,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<T[]> {
    let request: ZendeskRequest | null = { ...first, priority, idempotent: true, signal };
    const seen = new Set<string>();
    while (request) {
      const answer = await this.http.send(request);
      const page = this.decoded(first.endpoint, decode, answer.data);
      yield page.items;
      if (!page.next) break;
      // A cursor that points back at a page already read would loop forever.
      if (seen.has(page.next)) {
        throw new ZendeskError(
          ZendeskErrorCode.INVALID_RESPONSE,
          'Zendesk returned the same next link twice',
        );
      }
      seen.add(page.next);
      request = { ...request, url: page.next, query: undefined };
    }
  }

  private async allWorkItems(
    agentId: number,
    channel: string,
    firstPage: WorkItem[],
    options: CallOptions,
  ): Promise<WorkItem[]> {
    const items = [...firstPage];
    const last = firstPage[firstPage.length - 1];
    const query: Record<string, string> = { 'page[size]': String(MAX_PAGE_SIZE) };
    if (last) query['page[after]'] = last.id;
    for await (const page of this.pages(
      {
        method: 'GET',
        url: `${AVAILABILITIES}/${agentIdSegment(agentId)}/channels/${encodeURIComponent(channel)}/relationships/work_items`,
        query,
        endpoint: 'availability.work_items',
      },
      decodeWorkItemPage,
      options.priority ?? 'read',
      options.signal,
    )) {
      items.push(...page);
    }
    return items;
  }

  private async waitForJob(
    job: StatusJob,
    options: CallOptions & { pollIntervalMs?: number; maxPolls?: number },
  ): Promise<StatusJob> {
    const interval = options.pollIntervalMs ?? 1_000;
    const maxPolls = options.maxPolls ?? 120;
    let current = job;
    for (let poll = 0; current.status !== 'completed'; poll++) {
      if (poll >= maxPolls) {
        throw new ZendeskError(
          ZendeskErrorCode.TIMEOUT,
          `Bulk status job ${job.id} did not complete after ${maxPolls} polls`,
        );
      }
      if (poll > 0) await this.http.wait(interval, options.signal);
      current = await this.getStatusJob(job.id, { priority: 'read', signal: options.signal });
    }
    return current;
  }
}

function pageSize(size: number | undefined): number {
  if (size === undefined) return MAX_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new RangeError(`pageSize must be an integer from 1 to ${MAX_PAGE_SIZE} (got ${size})`);
  }
  return size;
}

function agentIdSegment(agentId: number): string {
  if (!Number.isSafeInteger(agentId) || agentId <= 0) throw new RangeError(`Not an agent id: ${agentId}`);
  return String(agentId);
}

function webhookBody(input: WebhookInput): Record<string, unknown> {
  return {
    name: input.name,
    endpoint: input.endpoint,
    http_method: 'POST',
    request_format: 'json',
    status: input.status ?? 'active',
    subscriptions: input.subscriptions,
    ...(input.description === undefined ? {} : { description: input.description }),
  };
}
