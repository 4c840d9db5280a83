import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import http from 'node:http';
import https from 'node:https';

/** One HTTP request to a webhook endpoint, fully prepared by the dispatcher. */
export interface WebhookRequest {
  /** POST unless said otherwise (only a test of a webhook may use another method). */
  readonly method?: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Sent byte for byte: the signature covers exactly these bytes. */
  readonly body: Buffer;
  /** Real time allowed for the whole response. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** Keep the answer's headers and the start of its body (a test of a webhook reports them). */
  readonly captureResponse?: boolean;
}

/** The most of a receiver's answer body that is kept when it is captured. */
export const CAPTURED_BODY_BYTES = 64 * 1024;

/** What came back: a status, or an error when no response arrived in time or at all. */
export interface WebhookResponse {
  readonly status: number | null;
  /** The raw `Retry-After` header, when the receiver sent one. */
  readonly retryAfter: string | null;
  readonly error: string | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  /** With `captureResponse`: the answer's headers and up to `CAPTURED_BODY_BYTES` of its body. */
  readonly captured?: { readonly headers: Readonly<Record<string, string>>; readonly body: string };
}

/**
 * The boundary to webhook receivers: POSTs prepared bytes and reports what happened, never
 * throwing. Keep-alive agents of its own so shutdown can close every socket it opened.
 */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };

  send(request: WebhookRequest): Promise<WebhookResponse> {
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      const error = `invalid endpoint URL ${request.url}`;
      return Promise.resolve({ status: null, retryAfter: null, error, timedOut: false, durationMs: 0 });
    }
    const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
    const client = protocol === 'https:' ? https : http;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: Omit<WebhookResponse, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...result, durationMs: elapsed() });
      };
      const fail = (error: string, timedOut = false) =>
        finish({ status: null, retryAfter: null, error, timedOut });

      const req = client.request(url, {
        method: request.method ?? 'POST',
        agent: this.agents[protocol],
        headers: { ...request.headers, 'Content-Length': String(request.body.length) },
        signal: request.signal,
      });
      // Only events call `finish`, and they fire after this line, so `timer` is always set by then.
      const timer = setTimeout(() => {
        fail(`no response within ${request.timeoutMs} ms`, true);
        req.destroy();
      }, request.timeoutMs);
      req.on('response', (res) => {
        const retryAfter = res.headers['retry-after'] ?? null;
        // The body is read to the end (and ignored unless captured) so the connection can be reused.
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          if (!request.captureResponse || kept >= CAPTURED_BODY_BYTES) return;
          const part = chunk.subarray(0, CAPTURED_BODY_BYTES - kept);
          chunks.push(part);
          kept += part.length;
        });
        res.on('end', () =>
          finish({
            status: res.statusCode ?? null,
            retryAfter,
            error: null,
            timedOut: false,
            ...(request.captureResponse
              ? {
                  captured: {
                    headers: headerRecord(res.headers),
                    body: Buffer.concat(chunks).toString('utf8'),
                  },
                }
              : {}),
          }),
        );
        res.on('error', (error) => fail(describe(error)));
      });
      req.on('error', (error) => fail(describe(error)));
      req.end(request.body);
    });
  }

  onApplicationShutdown(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }
}

function headerRecord(headers: http.IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter((entry): entry is [string, string | string[]] => entry[1] !== undefined)
      .map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]),
  );
}

function describe(error: Error): string {
  const code = (error as Error & { code?: string }).code;
  return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}
