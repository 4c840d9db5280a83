import {
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  type SignatureFailure,
  type WebhookSignatureVerifier,
} from '@app/zendesk';
import type { AgentEventEnvelope } from './agent-state.cache';

/**
 * Why a webhook request was rejected, as counted in `/metrics`: the signature checks' reasons
 * (a stale timestamp is what clock skew looks like), a body over the limit, or a body that is
 * not an event envelope.
 */
export type RejectionCause = SignatureFailure | 'too_large' | 'malformed';

/** What to answer Zendesk, and what (if anything) to do with the event. */
export type IntakeOutcome =
  | { status: 200; kind: 'accepted'; envelope: AgentEventEnvelope }
  | { status: 200; kind: 'duplicate'; eventId: string }
  | { status: 400 | 401 | 413; kind: 'rejected'; cause: RejectionCause; reason: string };

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/**
 * The checks every webhook request passes before anything is enqueued: size, signature and
 * freshness (over the raw bytes, before any parsing), JSON, shape, and duplicate event ids
 * (Zendesk may deliver an event more than once). A rejected request changes nothing.
 */
export class WebhookIntake {
  /** Event ids seen, oldest first; bounded so memory stays flat. */
  private readonly seen = new Set<string>();

  constructor(
    private readonly verifier: WebhookSignatureVerifier,
    private readonly maxBodyBytes: number,
    private readonly rememberedIds = 10_000,
  ) {}

  receive(headers: Headers, rawBody: Buffer): IntakeOutcome {
    if (rawBody.length > this.maxBodyBytes) {
      return {
        status: 413,
        kind: 'rejected',
        cause: 'too_large',
        reason: `body of ${rawBody.length} bytes is over the ${this.maxBodyBytes}-byte limit`,
      };
    }
    const verdict = this.verifier.verify({
      signature: header(headers, WEBHOOK_SIGNATURE_HEADER),
      timestamp: header(headers, WEBHOOK_TIMESTAMP_HEADER),
      rawBody,
    });
    if (!verdict.valid)
      return { status: 401, kind: 'rejected', cause: verdict.reason, reason: verdict.detail };
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch {
      return { status: 400, kind: 'rejected', cause: 'malformed', reason: 'the body is not valid JSON' };
    }
    const envelope = asEnvelope(body);
    if (typeof envelope === 'string')
      return { status: 400, kind: 'rejected', cause: 'malformed', reason: envelope };
    if (this.seen.has(envelope.id)) return { status: 200, kind: 'duplicate', eventId: envelope.id };
    this.remember(envelope.id);
    return { status: 200, kind: 'accepted', envelope };
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > this.rememberedIds) this.seen.delete(this.seen.values().next().value!);
  }
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The envelope, or why the body is not one (section 11.3). */
function asEnvelope(body: unknown): AgentEventEnvelope | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'the body must be a JSON object';
  const b = body as Record<string, unknown>;
  if (typeof b.id !== 'string' || b.id === '') return 'id (the event id) must be a non-empty string';
  if (typeof b.type !== 'string') return 'type must be a string';
  const detail = b.detail as Record<string, unknown> | undefined;
  if (typeof detail !== 'object' || detail === null) return 'detail must be an object';
  if (typeof detail.agent_id !== 'string' && typeof detail.agent_id !== 'number')
    return 'detail.agent_id is missing';
  if (typeof detail.version !== 'string' && typeof detail.version !== 'number')
    return 'detail.version is missing';
  const event = typeof b.event === 'object' && b.event !== null ? (b.event as Record<string, unknown>) : {};
  return {
    id: b.id,
    type: b.type,
    ...(typeof b.time === 'string' ? { time: b.time } : {}),
    detail: { agent_id: String(detail.agent_id), version: String(detail.version) },
    event,
  };
}
