import type {
  AgentAvailability,
  AgentChannel,
  AgentStatusChange,
  CapacityAssignee,
  CapacityRule,
  StatusJob,
  UnifiedStatus,
  Webhook,
  WorkItem,
  ZendeskUser,
} from './zendesk.domain';
import { ZendeskError, ZendeskErrorCode } from './zendesk.errors';

/**
 * Reads one value of a Zendesk response by path. Unknown members are ignored; a missing or
 * mistyped mandatory member is an INVALID_RESPONSE error naming its path (never its value).
 */
class Wire {
  constructor(
    private readonly value: unknown,
    readonly path: string,
  ) {}

  get raw(): unknown {
    return this.value;
  }

  isPresent(): boolean {
    return this.value !== undefined && this.value !== null;
  }

  field(key: string): Wire {
    const object = this.object();
    return new Wire(object[key], `${this.path}.${key}`);
  }

  /** The member, or null when it is absent or null. */
  optional(key: string): Wire | null {
    const child = this.field(key);
    return child.isPresent() ? child : null;
  }

  object(): Record<string, unknown> {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value))
      throw this.invalid('an object');
    return this.value as Record<string, unknown>;
  }

  items(): Wire[] {
    if (!Array.isArray(this.value)) throw this.invalid('an array');
    return this.value.map((item, i) => new Wire(item, `${this.path}[${i}]`));
  }

  int(): number {
    if (typeof this.value === 'number' && Number.isSafeInteger(this.value)) return this.value;
    // Some callers see ids as numeric strings (webhook details do this); accept them.
    if (
      typeof this.value === 'string' &&
      /^\d+$/.test(this.value) &&
      Number.isSafeInteger(Number(this.value))
    ) {
      return Number(this.value);
    }
    throw this.invalid('an integer');
  }

  /** An integer id (an agent, a status): what the router acts on, so above zero. */
  positiveInt(): number {
    const value = this.int();
    if (value <= 0) throw this.invalid('a positive integer');
    return value;
  }

  string(): string {
    if (typeof this.value !== 'string') throw this.invalid('a string');
    return this.value;
  }

  /** An id printed as string or number, as a string. */
  id(): string {
    if (typeof this.value === 'string' && this.value !== '') return this.value;
    if (typeof this.value === 'number' && Number.isSafeInteger(this.value)) return String(this.value);
    throw this.invalid('an id');
  }

  bool(): boolean {
    if (typeof this.value !== 'boolean') throw this.invalid('true or false');
    return this.value;
  }

  date(): Date {
    const ms = typeof this.value === 'string' ? Date.parse(this.value) : NaN;
    if (Number.isNaN(ms)) throw this.invalid('an ISO 8601 time');
    return new Date(ms);
  }

  invalid(expected: string): ZendeskError {
    const got = this.value === null ? 'null' : Array.isArray(this.value) ? 'an array' : typeof this.value;
    return new ZendeskError(
      ZendeskErrorCode.INVALID_RESPONSE,
      `Zendesk response: ${this.path} must be ${expected} (got ${got})`,
    );
  }
}

/** What a tolerant decoder leaves out of a response instead of failing all of it. */
export type DecodeDropKind =
  /** An agent references a channel that `included` does not carry: the agent is kept without it. */
  | 'missing_channel'
  /** A channel references a work item that `included` does not carry: the channel is kept without it. */
  | 'missing_work_item'
  /** A resource in `included` does not decode: whatever references it is kept without it. */
  | 'malformed_included'
  /** An agent of a list page does not decode: it is left out of the page, never acted on. */
  | 'malformed_agent'
  /** A status of the status list does not decode: it is left out, so no rule can set it. */
  | 'malformed_status'
  /** A capacity rule of the list does not decode: it is left out, so no rule can change it. */
  | 'malformed_capacity_rule'
  /** A user of a `show_many` or search answer does not decode: it is left out (no name shown). */
  | 'malformed_user';

/** One thing a decoder left out of a response, and why. */
export interface DecodeDrop {
  kind: DecodeDropKind;
  /** Where in the response, e.g. `body.data[3]` or `body.included[0].relationships.work_items.data[1]`. */
  path: string;
  /** The agent it belongs to, when that can be told. */
  agentId: number | null;
  /** The availability channel it belongs to, when that can be told. */
  channel: string | null;
  /** What was left out and why; names members and ids, never other values. */
  reason: string;
  /** `reason` without positions and ids: equal for every drop of the same kind of thing. */
  pattern: string;
}

/** Collects the drops of one response; `attempt` turns a part that does not decode into one. */
class DropSink {
  constructor(readonly drops: DecodeDrop[]) {}

  add(drop: DecodeDrop): void {
    this.drops.push(drop);
  }

  /**
   * Decodes one part with a sink of its own. When the part is INVALID_RESPONSE it becomes one
   * drop of `kind` (and whatever it had dropped is forgotten with it); any other error is thrown.
   */
  attempt<T>(
    kind: DecodeDropKind,
    at: Wire,
    owner: { agentId: number | null; channel: string | null },
    decode: (sink: DropSink) => T,
  ): T | null {
    const own = new DropSink([]);
    try {
      const value = decode(own);
      this.drops.push(...own.drops);
      return value;
    } catch (error) {
      if (!(error instanceof ZendeskError) || error.code !== ZendeskErrorCode.INVALID_RESPONSE) throw error;
      const reason = error.message.replace(/^Zendesk response: /, '');
      this.add({ kind, path: at.path, ...owner, reason, pattern: reason.replace(/\[\d+\]/g, '[]') });
      return null;
    }
  }
}

const NO_OWNER = { agentId: null, channel: null };

/** The agent an availability resource or JSON:API id (`agent_availabilities|{agent_id}|…`) belongs to. */
function agentIdIn(resource: Wire): number | null {
  const value = resource.raw as { id?: unknown; attributes?: { agent_id?: unknown } } | null;
  const candidates = [
    value?.attributes?.agent_id,
    /^agent_availabilities\|(\d+)/.exec(String(value?.id))?.[1],
  ];
  for (const candidate of candidates) {
    const id = typeof candidate === 'string' && /^\d+$/.test(candidate) ? Number(candidate) : candidate;
    if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return id;
  }
  return null;
}

/** The channel a JSON:API id such as `agent_availabilities|1|channels|talk|work_items|7` belongs to. */
function channelIn(id: string): string | null {
  return /\|channels\|([^|]+)/.exec(id)?.[1] ?? null;
}

const optString = (w: Wire | null): string | null => (w ? w.string() : null);
const optDate = (w: Wire | null): Date | null => (w ? w.date() : null);
const optInt = (w: Wire | null): number | null => (w ? w.int() : null);

/** One page of a cursor-paginated list. */
export interface PageOf<T> {
  items: T[];
  /** The URL of the next page, exactly as Zendesk gave it; null on the last page. */
  next: string | null;
}

/** `links.next` when `meta.has_more` (or, without `meta`, when a next link is given). */
function nextLink(body: Wire): string | null {
  const next = body.optional('links')?.optional('next');
  const hasMore = body.optional('meta')?.optional('has_more');
  if (hasMore && !hasMore.bool()) return null;
  if (!next) {
    if (hasMore?.bool()) throw body.field('links').field('next').invalid('a URL when meta.has_more is true');
    return null;
  }
  return next.string();
}

/**
 * JSON:API `included` resources by `type|id` — never by position. A resource without a usable
 * `type` and `id` can never be referenced; it is dropped as malformed.
 */
function indexIncluded(body: Wire, sink: DropSink): Map<string, Wire> {
  const index = new Map<string, Wire>();
  for (const resource of body.optional('included')?.items() ?? []) {
    const raw = resource.raw as { id?: unknown } | null;
    const owner = { agentId: agentIdIn(resource), channel: channelIn(String(raw?.id)) };
    const key = sink.attempt(
      'malformed_included',
      resource,
      owner,
      () => `${resource.field('type').string()}|${resource.field('id').id()}`,
    );
    if (key !== null) index.set(key, resource);
  }
  return index;
}

/** The referenced resource, or null (and a drop) when `included` does not carry it. */
function resolve(
  index: Map<string, Wire>,
  ref: Wire,
  type: 'channels' | 'work_items',
  agentId: number,
  sink: DropSink,
): Wire | null {
  const id = ref.field('id').id();
  const resource = index.get(`${type}|${id}`);
  if (resource) return resource;
  const shown = printable(id);
  sink.add({
    kind: type === 'channels' ? 'missing_channel' : 'missing_work_item',
    path: ref.path,
    agentId,
    channel: channelIn(id),
    reason: `references ${type} ${shown}, which included does not carry`,
    // Numbers in the id are the agent's and the work item's; the rest names the kind of thing.
    pattern: `references ${type} ${shown.replace(/(^|\|)\d+(?=\||$)/g, '$1*')}, which included does not carry`,
  });
  return null;
}

/** An id as reports print it: no control characters, at most 120 characters. */
function printable(id: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = id.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 120 ? `${clean.slice(0, 120)}…` : clean;
}

/** The trailing segment of a JSON:API id such as `agent_availabilities|1|channels|support|work_items|48`. */
function lastSegment(id: string): string {
  return id.slice(id.lastIndexOf('|') + 1);
}

function workItem(resource: Wire): WorkItem {
  const attributes = resource.field('attributes');
  return {
    id: lastSegment(resource.field('id').id()),
    addedAt: optDate(attributes.optional('added_at')),
    reason: attributes.field('reason').string(),
  };
}

/**
 * One channel with the work items `included` carries. A work item missing or malformed there is
 * dropped and the channel reports more work items, so a caller reading all of them reads again.
 */
function channel(resource: Wire, index: Map<string, Wire>, agentId: number, sink: DropSink): AgentChannel {
  const attributes = resource.field('attributes');
  const name = attributes.field('name').string();
  const workItems = resource.optional('relationships')?.optional('work_items');
  const refs = workItems?.optional('data')?.items() ?? [];
  const items = refs.flatMap((ref) => {
    const item = resolve(index, ref, 'work_items', agentId, sink);
    const decoded =
      item && sink.attempt('malformed_included', item, { agentId, channel: name }, () => workItem(item));
    return decoded ? [decoded] : [];
  });
  const count = attributes.field('work_item_count').int();
  const hasMore = workItems?.optional('meta')?.optional('has_more')?.bool() ?? items.length < count;
  return {
    name,
    status: optString(attributes.optional('status')),
    updatedAt: optDate(attributes.optional('updated_at')),
    workItemCount: count,
    maxCapacity: optInt(attributes.optional('max_capacity')),
    workItems: items,
    hasMoreWorkItems: hasMore || items.length < refs.length,
  };
}

/**
 * One agent. Its own members are strict (an id, status id or version that does not decode fails
 * it); channels `included` lacks or cannot decode are dropped and the agent keeps the rest.
 */
function agentAvailability(resource: Wire, index: Map<string, Wire>, sink: DropSink): AgentAvailability {
  const attributes = resource.field('attributes');
  const status = attributes.optional('agent_status');
  const agentId = attributes.field('agent_id').positiveInt();
  const channelRefs =
    resource.optional('relationships')?.optional('channels')?.optional('data')?.items() ?? [];
  const agent: AgentAvailability = {
    agentId,
    status: status
      ? {
          id: status.field('id').positiveInt(),
          name: status.field('name').string(),
          reason: optString(status.optional('reason')),
          updatedAt: optDate(status.optional('updated_at')),
        }
      : null,
    groupIds:
      attributes
        .optional('group_ids')
        ?.items()
        .map((g) => g.int()) ?? [],
    skillIds:
      attributes
        .optional('skills')
        ?.items()
        .map((s) => s.field('id').id()) ?? [],
    version: attributes.field('version').int(),
    channels: [],
  };
  for (const ref of channelRefs) {
    const found = resolve(index, ref, 'channels', agentId, sink);
    if (!found) continue;
    const owner = { agentId, channel: channelIn(ref.field('id').id()) };
    const decoded = sink.attempt('malformed_included', found, owner, (own) =>
      channel(found, index, agentId, own),
    );
    if (decoded) agent.channels.push(decoded);
  }
  return agent;
}

/**
 * A page of `GET /agent_availabilities`. An agent that does not decode is left out of the page
 * (one `malformed_agent` drop); the page and its other agents stand.
 */
export function decodeAvailabilityPage(raw: unknown, drops: DecodeDrop[] = []): PageOf<AgentAvailability> {
  const body = new Wire(raw, 'body');
  const sink = new DropSink(drops);
  const index = indexIncluded(body, sink);
  return {
    items: body
      .field('data')
      .items()
      .flatMap((resource) => {
        const owner = { agentId: agentIdIn(resource), channel: null };
        const agent = sink.attempt('malformed_agent', resource, owner, (own) =>
          agentAvailability(resource, index, own),
        );
        return agent ? [agent] : [];
      }),
    next: nextLink(body),
  };
}

/**
 * `GET /agent_availabilities/{id}` (and `/me`): the resource in `data` beside `included`, or the
 * bare resource as the object page shows it (S3 ex). An agent that does not decode fails the read.
 */
export function decodeAvailability(raw: unknown, drops: DecodeDrop[] = []): AgentAvailability {
  const body = new Wire(raw, 'body');
  const sink = new DropSink(drops);
  const bare = body.optional('type')?.raw === 'agent_availabilities' && !body.optional('data');
  return agentAvailability(bare ? body : body.field('data'), indexIncluded(body, sink), sink);
}

/** A page of a channel's work items (`…/channels/{channel}/relationships/work_items`). */
export function decodeWorkItemPage(raw: unknown): PageOf<WorkItem> {
  const body = new Wire(raw, 'body');
  return { items: body.field('data').items().map(workItem), next: nextLink(body) };
}

function unifiedStatus(resource: Wire, kind: 'default' | 'custom'): UnifiedStatus {
  const attributes = resource.field('attributes');
  const channels = attributes.optional('channels');
  return {
    id: resource.field('id').positiveInt(),
    kind,
    name: attributes.field('name').string(),
    description: optString(attributes.optional('description')),
    channels: channels
      ? Object.fromEntries(
          Object.keys(channels.object()).map((name) => [name, channels.field(name).string()]),
        )
      : null,
    groupIds:
      attributes
        .optional('group_ids')
        ?.items()
        .map((g) => g.int()) ?? [],
    updatedAt: optDate(resource.optional('updated_at') ?? attributes.optional('updated_at')),
  };
}

/**
 * A page of `GET /agent_statuses`; accepts `default`/`custom`, `*_statuses` and `data` spellings
 * (10.3). A status that does not decode is left out (`malformed_status`), so no rule can set it.
 */
export function decodeStatusPage(raw: unknown, drops: DecodeDrop[] = []): PageOf<UnifiedStatus> {
  const body = new Wire(raw, 'body');
  const sink = new DropSink(drops);
  const defaults = body.optional('default') ?? body.optional('default_statuses');
  const customs = body.optional('custom') ?? body.optional('custom_statuses');
  const data = body.optional('data');
  if (!defaults && !customs && !data)
    throw body.field('default').invalid('an array of statuses (default/custom/data)');
  const decode = (list: Wire | null, kindOf: (status: Wire) => 'default' | 'custom') =>
    (list?.items() ?? []).flatMap((s) => {
      const status = sink.attempt('malformed_status', s, NO_OWNER, () => unifiedStatus(s, kindOf(s)));
      return status ? [status] : [];
    });
  const items = [
    ...decode(defaults, () => 'default'),
    ...decode(customs, () => 'custom'),
    ...decode(data, (s) => (s.field('attributes').optional('channels') ? 'custom' : 'default')),
  ];
  return { items, next: nextLink(body) };
}

/**
 * The answer to `PUT /agent_statuses/agents/{id}`: the Unified Agent Status object bare, as its
 * page shows it (S19 ex), or wrapped in `data`. Its agent and status ids are checked.
 */
export function decodeStatusChange(raw: unknown): AgentStatusChange {
  const body = new Wire(raw, 'body');
  const attributes = (body.optional('data') ?? body).field('attributes');
  const status = attributes.field('agent_status');
  return {
    agentId: attributes.field('agent_id').positiveInt(),
    status: { id: status.field('id').positiveInt(), name: status.field('name').string() },
  };
}

/** `{"job_status": {...}}` from a bulk update or a job poll. */
export function decodeStatusJob(raw: unknown): StatusJob {
  const job = new Wire(raw, 'body').field('job_status');
  return {
    id: job.field('id').id(),
    status: job.field('status').string(),
    total: job.optional('total')?.int() ?? 0,
    progress: job.optional('progress')?.int() ?? 0,
    message: optString(job.optional('message')),
    results: (job.optional('results')?.items() ?? []).map((r) => ({
      agentId: r.field('agent_id').int(),
      status: r.field('status').string(),
      error: optString(r.optional('error')),
      completedAt: optDate(r.optional('completed_at')),
    })),
  };
}

function capacityRule(rule: Wire): CapacityRule {
  const capacities = rule.optional('capacities');
  const assignees = rule.optional('assignees');
  return {
    id: rule.field('id').id(),
    name: rule.field('name').string(),
    description: optString(rule.optional('description')),
    isDefault: rule.optional('default')?.bool() ?? false,
    capacities: capacities
      ? Object.fromEntries(
          (['email', 'messaging', 'voice'] as const)
            .filter((c) => capacities.optional(c))
            .map((c) => [c, capacities.field(c).int()]),
        )
      : {},
    assigneeCount: optInt(assignees?.optional('count') ?? null),
    assigneeSample: (assignees?.optional('agents_sample')?.items() ?? []).map((a) => ({
      id: a.field('id').int(),
      name: a.optional('name')?.string() ?? '',
    })),
    createdAt: optDate(rule.optional('created_at')),
    updatedAt: optDate(rule.optional('last_updated_at') ?? rule.optional('updated_at')),
  };
}

/**
 * `GET /capacity/rules`: a bare array, or one wrapped in `data` or `capacity_rules` (9.2). A rule
 * that does not decode is left out (`malformed_capacity_rule`), so no rule can change it.
 */
export function decodeCapacityRules(raw: unknown, drops: DecodeDrop[] = []): CapacityRule[] {
  const body = new Wire(raw, 'body');
  const sink = new DropSink(drops);
  const list = Array.isArray(raw)
    ? body
    : (body.optional('data') ?? body.optional('capacity_rules') ?? body.field('data'));
  return list.items().flatMap((r) => {
    const rule = sink.attempt('malformed_capacity_rule', r, NO_OWNER, () => capacityRule(r));
    return rule ? [rule] : [];
  });
}

/** One capacity rule: bare, or wrapped in `data` / `capacity_rule`. */
export function decodeCapacityRule(raw: unknown): CapacityRule {
  const body = new Wire(raw, 'body');
  return capacityRule(body.optional('data') ?? body.optional('capacity_rule') ?? body);
}

/** A page of `GET /capacity/rules/assignees`. */
export function decodeAssigneePage(raw: unknown): PageOf<CapacityAssignee> {
  const body = new Wire(raw, 'body');
  return {
    items: body
      .field('assignees')
      .items()
      .map((a) => ({ agentId: a.field('agent_id').int(), capacityRuleId: a.field('capacity_rule_id').id() })),
    next: nextLink(body),
  };
}

/** One user (section 13): id and name are required; the rest is optional; extra members are ignored. */
function user(u: Wire): ZendeskUser {
  return {
    id: u.field('id').positiveInt(),
    name: u.field('name').string(),
    email: optString(u.optional('email')),
    role: optString(u.optional('role')),
    active: u.optional('active')?.bool() ?? true,
    timeZone: optString(u.optional('time_zone')),
    ianaTimeZone: optString(u.optional('iana_time_zone')),
  };
}

/** `GET /users/{id}`: `{"user": {...}}`. */
export function decodeUser(raw: unknown): ZendeskUser {
  return user(new Wire(raw, 'body').field('user'));
}

/**
 * `GET /users/show_many` and `/users/search`: `{"users": [...]}`. A user that does not decode is
 * left out (`malformed_user`) rather than failing the whole batch.
 */
export function decodeUsers(raw: unknown, drops: DecodeDrop[] = []): ZendeskUser[] {
  const sink = new DropSink(drops);
  return new Wire(raw, 'body')
    .field('users')
    .items()
    .flatMap((u) => {
      const id = (u.raw as { id?: unknown } | null)?.id;
      const owner = { agentId: typeof id === 'number' ? id : null, channel: null };
      const decoded = sink.attempt('malformed_user', u, owner, () => user(u));
      return decoded ? [decoded] : [];
    });
}

/** The human message of a Zendesk error body (section 6), or null when it has none. */
export function errorMessageOf(raw: unknown): string | null {
  if (typeof raw === 'string') return raw.trim().slice(0, 300) || null;
  if (typeof raw !== 'object' || raw === null) return null;
  const body = raw as Record<string, unknown>;
  const first = Array.isArray(body.errors)
    ? (body.errors[0] as Record<string, unknown> | undefined)
    : undefined;
  for (const candidate of [first?.detail, first?.title, body.description, body.error]) {
    if (typeof candidate === 'string' && candidate !== '') return candidate;
  }
  return null;
}

function webhook(w: Wire): Webhook {
  return {
    id: w.field('id').id(),
    name: w.field('name').string(),
    status: w.optional('status')?.string() ?? 'active',
    endpoint: w.field('endpoint').string(),
    subscriptions: (w.optional('subscriptions')?.items() ?? []).map((s) => s.string()),
  };
}

/** A page of `GET /webhooks`. */
export function decodeWebhookPage(raw: unknown): PageOf<Webhook> {
  const body = new Wire(raw, 'body');
  return { items: body.field('webhooks').items().map(webhook), next: nextLink(body) };
}

/** `{"webhook": {...}}` from creating or showing a webhook. */
export function decodeWebhook(raw: unknown): Webhook {
  return webhook(new Wire(raw, 'body').field('webhook'));
}

/** `{"signing_secret": {"secret": "..."}}` (section 11.8). */
export function decodeSigningSecret(raw: unknown): string {
  return new Wire(raw, 'body').field('signing_secret').field('secret').string();
}
