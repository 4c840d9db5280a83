import { BodyReader } from '../control/body.reader';
import { SimHttpError } from '../http/sim-http.error';
import type { AgentEventType } from '../store/account.model';
import { AGENT_EVENT_TYPE_NAMES, agentEventTypeOf } from './agent-event.envelope';
import type { WebhookAuthentication, WebhookInput, WebhookStatus } from './webhook.registry';

const STATUSES: readonly WebhookStatus[] = ['active', 'inactive'];
/** Values the Webhooks API knows (section 11.1); only POST + json may subscribe to events. */
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const REQUEST_FORMATS = ['json', 'xml', 'form_encoded'] as const;
const AUTH_TYPES = ['bearer_token', 'basic_auth', 'api_key'] as const;
/** Headers an `api_key` credential may not replace: the delivery and its signature depend on them. */
const RESERVED_HEADER =
  /^(content-type|content-length|host|user-agent|transfer-encoding|connection|x-zendesk-.*)$/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Reads the body of `POST /api/v2/webhooks` or `PUT /api/v2/webhooks/{id}`: a whole webhook.
 * Unknown and read-only members (`id`, `created_at`, ...) are ignored, as a client may send back
 * what it read.
 */
export function readWebhookInput(body: unknown): WebhookInput {
  const [input, raw] = webhookMember(body);
  const name = readName(input);
  const endpoint = readEndpoint(input);
  const subscriptions = readSubscriptions(raw);
  if (name === undefined) throw required('webhook.name');
  if (endpoint === undefined) throw required('webhook.endpoint');
  if (!input.has('http_method')) throw required('webhook.http_method', 'it must be "POST"');
  if (!input.has('request_format')) throw required('webhook.request_format', 'it must be "json"');
  readEventDelivery(input);
  if (subscriptions === undefined) throw required('webhook.subscriptions', subscriptionHint());
  return {
    name,
    endpoint,
    subscriptions,
    description: input.string('description') ?? '',
    status: input.oneOf('status', STATUSES) ?? 'active',
    authentication: readAuthentication(input, raw) ?? null,
  };
}

/** Reads the body of `PATCH /api/v2/webhooks/{id}`: only the members present change. */
export function readWebhookPatch(body: unknown): Partial<WebhookInput> {
  const [input, raw] = webhookMember(body);
  readEventDelivery(input);
  return {
    name: readName(input),
    endpoint: readEndpoint(input),
    subscriptions: readSubscriptions(raw),
    description: input.string('description'),
    status: input.oneOf('status', STATUSES),
    authentication: readAuthentication(input, raw),
  };
}

/** The `webhook` member, both for typed reads and for the members `BodyReader` has no reader for. */
function webhookMember(body: unknown): [BodyReader, Record<string, unknown>] {
  if (!new BodyReader(body).has('webhook')) throw required('webhook', 'send {"webhook": {...}}');
  const raw = (body as Record<string, unknown>).webhook;
  return [new BodyReader(raw, 'webhook'), raw as Record<string, unknown>];
}

function readName(input: BodyReader): string | undefined {
  const name = input.string('name');
  if (name !== undefined && name.trim() === '')
    throw SimHttpError.badRequest('webhook.name must not be empty');
  return name?.trim();
}

function readEndpoint(input: BodyReader): string | undefined {
  const endpoint = input.string('endpoint');
  if (endpoint === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw SimHttpError.badRequest(
      `webhook.endpoint must be an absolute http(s) URL (got ${JSON.stringify(endpoint)})`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw SimHttpError.badRequest(
      `webhook.endpoint must use http or https (got ${JSON.stringify(endpoint)})`,
    );
  }
  return endpoint;
}

/** Event subscriptions require POST and JSON (section 11.1). */
function readEventDelivery(input: BodyReader): void {
  const method = input.oneOf('http_method', HTTP_METHODS);
  if (method !== undefined && method !== 'POST') {
    throw SimHttpError.badRequest(
      `webhook.http_method must be "POST" for a webhook subscribed to events (got ${JSON.stringify(method)})`,
    );
  }
  const format = input.oneOf('request_format', REQUEST_FORMATS);
  if (format !== undefined && format !== 'json') {
    throw SimHttpError.badRequest(
      `webhook.request_format must be "json" for a webhook subscribed to events (got ${JSON.stringify(format)})`,
    );
  }
}

function readSubscriptions(webhook: Record<string, unknown>): AgentEventType[] | undefined {
  const raw = webhook.subscriptions;
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length === 0) {
    throw SimHttpError.badRequest(`webhook.subscriptions must be a non-empty array: ${subscriptionHint()}`);
  }
  return raw.map((name: unknown, i) => {
    const type = typeof name === 'string' ? agentEventTypeOf(name) : undefined;
    if (type === undefined) {
      throw SimHttpError.badRequest(
        `webhook.subscriptions[${i}] ${JSON.stringify(name)} is not supported: ${subscriptionHint()}`,
      );
    }
    return type;
  });
}

/** The `authentication` member of a test request (section 11.10), read like a webhook's. */
export function readTestAuthentication(
  input: BodyReader,
  raw: Record<string, unknown>,
): WebhookAuthentication | null | undefined {
  return readAuthentication(input, raw);
}

function readAuthentication(
  input: BodyReader,
  webhook: Record<string, unknown>,
): WebhookAuthentication | null | undefined {
  // null removes the credentials; absent leaves them as they are.
  if (webhook.authentication === null) return null;
  const auth = input.object('authentication');
  if (!auth) return undefined;
  const type = auth.oneOf('type', AUTH_TYPES);
  if (!type) throw required('webhook.authentication.type', `one of ${AUTH_TYPES.join(', ')}`);
  if ((auth.oneOf('add_position', ['header'] as const) ?? 'header') !== 'header') {
    throw SimHttpError.badRequest('webhook.authentication.add_position must be "header"');
  }
  const data = auth.object('data');
  if (!data) throw required('webhook.authentication.data');
  const text = (key: string): string => {
    const value = data.string(key);
    if (!value) throw required(`webhook.authentication.data.${key}`, 'a non-empty string');
    return value;
  };
  switch (type) {
    case 'bearer_token':
      return { type, token: text('token') };
    case 'basic_auth':
      return { type, username: text('username'), password: text('password') };
    case 'api_key': {
      const name = text('name');
      if (!HEADER_NAME.test(name) || RESERVED_HEADER.test(name)) {
        throw SimHttpError.badRequest(
          `webhook.authentication.data.name must be an HTTP header name other than Content-Type, Host, User-Agent and x-zendesk-* (got ${JSON.stringify(name)})`,
        );
      }
      return { type, name, value: text('value') };
    }
  }
}

function subscriptionHint(): string {
  return `this simulator delivers only agent availability events (${AGENT_EVENT_TYPE_NAMES.join(', ')})`;
}

function required(field: string, hint?: string): SimHttpError {
  return SimHttpError.badRequest(`${field} is required${hint ? `: ${hint}` : ''}`);
}
