import { Injectable } from '@nestjs/common';
import { SimClock } from '../clock/sim.clock';
import { BodyReader } from '../control/body.reader';
import { SimHttpError } from '../http/sim-http.error';
import { authenticationHeaders } from './webhook.dispatcher';
import { readTestAuthentication } from './webhook-input.reader';
import { WebhookRegistry, type WebhookAuthentication } from './webhook.registry';
import { WebhookSender, type WebhookResponse } from './webhook.sender';
import { signWebhookPayload, signatureTimestamp } from './webhook.signer';

/**
 * The secret a test of a webhook that does not exist yet is signed with: the one in Zendesk's
 * verification example (section 11.8), base64 of "this_secret_is_for_testing_only".
 */
export const TEST_SIGNING_SECRET = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==';

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const REQUEST_FORMATS = ['json', 'xml', 'form_encoded'] as const;
const CONTENT_TYPES: Readonly<Record<(typeof REQUEST_FORMATS)[number], string>> = {
  json: 'application/json',
  xml: 'application/xml',
  form_encoded: 'application/x-www-form-urlencoded',
};
/** Headers a test may not set: the request and its signature depend on them. */
const RESERVED_HEADER = /^(content-length|host|transfer-encoding|connection|x-zendesk-.*)$/i;

/** What a test sends, after the stored webhook (if any) and the body are merged. */
interface TestRequest {
  readonly endpoint: string;
  readonly method: (typeof HTTP_METHODS)[number];
  readonly format: (typeof REQUEST_FORMATS)[number];
  readonly headers: Readonly<Record<string, string>>;
  readonly payload: string;
  readonly authentication: WebhookAuthentication | null;
  readonly secret: string;
  readonly webhookId: string | null;
}

/**
 * `POST /api/v2/webhooks/test` (section 11.10): sends one signed request now, once, never retried
 * and never recorded as an invocation, and reports what the receiver answered.
 */
@Injectable()
export class WebhookTester {
  constructor(
    private readonly registry: WebhookRegistry,
    private readonly sender: WebhookSender,
    private readonly clock: SimClock,
  ) {}

  async test(webhookId: string | undefined, body: unknown, timeoutMs: number) {
    const request = this.read(webhookId, body);
    const timestamp = signatureTimestamp(this.clock.now());
    const bytes = Buffer.from(request.payload, 'utf8');
    const response = await this.sender.send({
      method: request.method,
      url: request.endpoint,
      headers: {
        'Content-Type': CONTENT_TYPES[request.format],
        'User-Agent': 'Zendesk Webhook',
        ...request.headers,
        ...(request.webhookId === null ? {} : { 'x-zendesk-webhook-id': request.webhookId }),
        'x-zendesk-webhook-signature-timestamp': timestamp,
        'x-zendesk-webhook-signature': signWebhookPayload(request.secret, timestamp, bytes),
        ...authenticationHeaders(request.authentication),
      },
      body: bytes,
      timeoutMs,
      signal: AbortSignal.timeout(timeoutMs + 1_000),
      captureResponse: true,
    });
    return presentTestResponse(response);
  }

  /** The stored webhook's settings, overridden by what the body gives (as Zendesk documents). */
  private read(webhookId: string | undefined, body: unknown): TestRequest {
    const stored = webhookId === undefined ? undefined : this.registry.find(webhookId);
    if (webhookId !== undefined && !stored)
      throw SimHttpError.notFound(`Webhook ${JSON.stringify(webhookId)} was not found`);
    const top = new BodyReader(body);
    // Both spellings are in circulation (section 11.10); either carries the same members.
    const key = top.has('request') ? 'request' : 'webhook';
    const input = top.object(key);
    if (!input) throw SimHttpError.badRequest('send {"request": {"endpoint": "https://...", ...}}');
    const raw = (body as Record<string, unknown>)[key] as Record<string, unknown>;
    const endpoint = input.string('endpoint') ?? stored?.endpoint;
    if (endpoint === undefined) throw SimHttpError.badRequest(`${key}.endpoint is required`);
    try {
      const url = new URL(endpoint);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    } catch {
      throw SimHttpError.badRequest(
        `${key}.endpoint must be an absolute http(s) URL (got ${JSON.stringify(endpoint)})`,
      );
    }
    const payload = raw.payload;
    if (payload !== undefined && typeof payload !== 'string')
      throw SimHttpError.badRequest(`${key}.payload must be a string (the body to send)`);
    const authentication = readTestAuthentication(input, raw);
    return {
      endpoint,
      method: input.oneOf('http_method', HTTP_METHODS) ?? 'POST',
      format: input.oneOf('request_format', REQUEST_FORMATS) ?? 'json',
      headers: readHeaders(raw, key),
      payload: payload ?? '{}',
      authentication: authentication === undefined ? (stored?.authentication ?? null) : authentication,
      secret: stored?.signingSecret ?? TEST_SIGNING_SECRET,
      webhookId: stored?.id ?? null,
    };
  }
}

/** `headers: [{key, value}]` or `custom_headers: {name: value}`. */
function readHeaders(raw: Record<string, unknown>, key: string): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (name: unknown, value: unknown, where: string) => {
    if (typeof name !== 'string' || typeof value !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
      throw SimHttpError.badRequest(`${where} must be a header name and a string value`);
    if (RESERVED_HEADER.test(name))
      throw SimHttpError.badRequest(`${where}: ${name} is set by Zendesk and cannot be replaced`);
    out[name] = value;
  };
  if (raw.headers !== undefined) {
    if (!Array.isArray(raw.headers))
      throw SimHttpError.badRequest(`${key}.headers must be an array of {key, value}`);
    raw.headers.forEach((header: unknown, i) => {
      const h = (typeof header === 'object' && header !== null ? header : {}) as Record<string, unknown>;
      add(h.key, h.value, `${key}.headers[${i}]`);
    });
  }
  if (raw.custom_headers !== undefined) {
    if (
      typeof raw.custom_headers !== 'object' ||
      raw.custom_headers === null ||
      Array.isArray(raw.custom_headers)
    )
      throw SimHttpError.badRequest(`${key}.custom_headers must be an object of header names to values`);
    for (const [name, value] of Object.entries(raw.custom_headers))
      add(name, value, `${key}.custom_headers.${name}`);
  }
  return out;
}

/**
 * The answer in both shapes in circulation (section 11.10): `response` with the receiver's
 * status, headers and body, and `test` with the same as status words.
 */
function presentTestResponse(response: WebhookResponse) {
  const headers = Object.entries(response.captured?.headers ?? {}).map(([key, value]) => ({ key, value }));
  const status = response.status;
  const ok = status !== null && status >= 200 && status < 300;
  return {
    response: { status, headers, payload: response.captured?.body ?? '' },
    test: {
      status: ok ? 'success' : 'failed',
      message: response.error ?? `The endpoint answered ${status}`,
      ...(status === null ? {} : { response_code: status }),
      response_body: response.captured?.body ?? '',
    },
  };
}
