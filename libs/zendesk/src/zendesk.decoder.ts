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

/** JSON:API `included` resources by `type|id` — never by position. */
function indexIncluded(body: Wire): Map<string, Wire> {
  const index = new Map<string, Wire>();
  for (const resource of body.optional('included')?.items() ?? []) {
    index.set(`${resource.field('type').string()}|${resource.field('id').id()}`, resource);
  }
  return index;
}

function resolve(index: Map<string, Wire>, ref: Wire, type: string): Wire {
  const id = ref.field('id').id();
  const resource = index.get(`${type}|${id}`);
  if (!resource) throw ref.invalid(`a reference to a ${type} resource in included (missing: ${id})`);
  return resource;
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

function channel(resource: Wire, index: Map<string, Wire>): AgentChannel {
  const attributes = resource.field('attributes');
  const workItems = resource.optional('relationships')?.optional('work_items');
  const refs = workItems?.optional('data')?.items() ?? [];
  const items = refs.map((ref) => workItem(resolve(index, ref, 'work_items')));
  const count = attributes.field('work_item_count').int();
  const hasMore = workItems?.optional('meta')?.optional('has_more')?.bool() ?? items.length < count;
  return {
    name: attributes.field('name').string(),
    status: optString(attributes.optional('status')),
    updatedAt: optDate(attributes.optional('updated_at')),
    workItemCount: count,
    maxCapacity: optInt(attributes.optional('max_capacity')),
    workItems: items,
    hasMoreWorkItems: hasMore,
  };
}

function agentAvailability(resource: Wire, index: Map<string, Wire>): AgentAvailability {
  const attributes = resource.field('attributes');
  const status = attributes.optional('agent_status');
  const channelRefs =
    resource.optional('relationships')?.optional('channels')?.optional('data')?.items() ?? [];
  return {
    agentId: attributes.field('agent_id').int(),
    status: status
      ? {
          id: status.field('id').int(),
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
    channels: channelRefs.map((ref) => channel(resolve(index, ref, 'channels'), index)),
  };
}

/** A page of `GET /agent_availabilities`. */
export function decodeAvailabilityPage(raw: unknown): PageOf<AgentAvailability> {
  const body = new Wire(raw, 'body');
  const index = indexIncluded(body);
  return {
    items: body
      .field('data')
      .items()
      .map((resource) => agentAvailability(resource, index)),
    next: nextLink(body),
  };
}

/** `GET /agent_availabilities/{id}` (and `/me`). */
export function decodeAvailability(raw: unknown): AgentAvailability {
  const body = new Wire(raw, 'body');
  return agentAvailability(body.field('data'), indexIncluded(body));
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
    id: resource.field('id').int(),
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

/** A page of `GET /agent_statuses`; accepts `default`/`custom`, `*_statuses` and `data` spellings (10.3). */
export function decodeStatusPage(raw: unknown): PageOf<UnifiedStatus> {
  const body = new Wire(raw, 'body');
  const defaults = body.optional('default') ?? body.optional('default_statuses');
  const customs = body.optional('custom') ?? body.optional('custom_statuses');
  const data = body.optional('data');
  if (!defaults && !customs && !data)
    throw body.field('default').invalid('an array of statuses (default/custom/data)');
  const items = [
    ...(defaults?.items().map((s) => unifiedStatus(s, 'default')) ?? []),
    ...(customs?.items().map((s) => unifiedStatus(s, 'custom')) ?? []),
    ...(data
      ?.items()
      .map((s) => unifiedStatus(s, s.field('attributes').optional('channels') ? 'custom' : 'default')) ?? []),
  ];
  return { items, next: nextLink(body) };
}

/** The answer to `PUT /agent_statuses/agents/{id}`. */
export function decodeStatusChange(raw: unknown): AgentStatusChange {
  const attributes = new Wire(raw, 'body').field('data').field('attributes');
  const status = attributes.field('agent_status');
  return {
    agentId: attributes.field('agent_id').int(),
    status: { id: status.field('id').int(), name: status.field('name').string() },
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

/** `GET /capacity/rules`: a bare array, or one wrapped in `data` or `capacity_rules` (9.2). */
export function decodeCapacityRules(raw: unknown): CapacityRule[] {
  const body = new Wire(raw, 'body');
  const list = Array.isArray(raw)
    ? body
    : (body.optional('data') ?? body.optional('capacity_rules') ?? body.field('data'));
  return list.items().map(capacityRule);
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
