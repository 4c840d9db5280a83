import type { LoggerService } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { API_KEY_HEADERS, CREDENTIAL_NAME } from '../api/api-token.guard';
import type { RouterConfig } from '../config/router.config';
import { formatLogLine } from './log-line.formatter';

/** Where log lines go: stdout unless a test hands its own sink. */
export interface LogDestination {
  write(line: string): unknown;
}

/** The log format in effect: `auto` is pretty on a terminal, JSON anywhere else. */
export function chooseLogFormat(setting: RouterConfig['logFormat'], isTerminal: boolean): 'pretty' | 'json' {
  return setting === 'auto' ? (isTerminal ? 'pretty' : 'json') : setting;
}

/** Headers whose values never reach a log line. */
const SECRET_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'cookie',
  'set-cookie',
  'x-zendesk-webhook-signature',
  ...API_KEY_HEADERS,
]);

const REDACTED = '[redacted]';

/** A URL with the value of every credential-like query parameter replaced (`?token=[redacted]`). */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at === -1) return url;
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = decodeQueryName(eq === -1 ? pair : pair.slice(0, eq));
      return CREDENTIAL_NAME.test(name) ? `${pair.slice(0, eq === -1 ? pair.length : eq)}=${REDACTED}` : pair;
    });
  return `${url.slice(0, at)}?${query.join('&')}`;
}

function decodeQueryName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

interface SerializedRequest {
  url?: string;
  query?: unknown;
  headers?: Record<string, unknown>;
  [key: string]: unknown;
}

/** pino-http's request, with credentials redacted from its URL, query and headers. */
function redactRequest(req: SerializedRequest): SerializedRequest {
  const headers = Object.fromEntries(
    Object.entries(req.headers ?? {}).map(([name, value]) => [
      name,
      SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : value,
    ]),
  );
  const query =
    req.query && typeof req.query === 'object'
      ? Object.fromEntries(
          Object.entries(req.query).map(([name, value]) => [
            name,
            CREDENTIAL_NAME.test(name) ? REDACTED : value,
          ]),
        )
      : req.query;
  // Express's route params (`splat`) repeat the URL: left out.
  return {
    id: req.id,
    method: req.method,
    url: req.url === undefined ? undefined : redactUrl(req.url),
    query,
    headers,
    remoteAddress: req.remoteAddress,
    remotePort: req.remotePort,
  };
}

/** pino-http's response, with the session cookie it may set redacted. */
function redactResponse(res: { statusCode?: number; headers?: Record<string, unknown> }) {
  const headers = Object.fromEntries(
    Object.entries(res.headers ?? {}).map(([name, value]) => [
      name,
      SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : value,
    ]),
  );
  return { statusCode: res.statusCode, headers };
}

function pathOf(req: IncomingMessage): string {
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
  const at = url.indexOf('?');
  return at === -1 ? url : url.slice(0, at);
}

/**
 * The level of one access line: errors at error, webhook deliveries and API reads at debug (they
 * are most of the traffic; a rejected delivery is logged on its own, at warn), other refusals at
 * warn, the rest (pause, resume, explain) at info.
 */
function accessLevel(
  req: IncomingMessage,
  res: ServerResponse,
  error?: Error,
): 'error' | 'warn' | 'info' | 'debug' {
  if (error || res.statusCode >= 500) return 'error';
  if (pathOf(req).startsWith('/webhooks/')) return 'debug';
  if (res.statusCode >= 400) return 'warn';
  return req.method === 'GET' || req.method === 'HEAD' ? 'debug' : 'info';
}

function accessMessage(req: IncomingMessage, res: ServerResponse, responseTime?: number): string {
  const url = redactUrl((req as { originalUrl?: string }).originalUrl ?? req.url ?? '');
  return `${req.method} ${url} ${res.statusCode}${responseTime === undefined ? '' : ` ${Math.round(responseTime)}ms`}`;
}

/**
 * The router's pino setup: its level, its format (readable lines or JSON), access lines at the
 * levels above (none for `/health` and `/metrics`), and no credential in any line — not the
 * Authorization header, the cookie (sent or set), a webhook signature, an API key header, nor a token sent
 * in the query string.
 */
export function loggerParams(config: RouterConfig, destination?: LogDestination): Params {
  const sink = destination ?? process.stdout;
  const isTerminal = destination === undefined && process.stdout.isTTY === true;
  const format = chooseLogFormat(config.logFormat, isTerminal);
  const options = {
    level: config.logLevel,
    serializers: { req: redactRequest, res: redactResponse },
    // App lines written while a request is handled carry its id, not the whole request again.
    quietReqLogger: true,
    customLogLevel: accessLevel,
    customSuccessMessage: accessMessage,
    customErrorMessage: (req: IncomingMessage, res: ServerResponse) => accessMessage(req, res),
    autoLogging: { ignore: (req: IncomingMessage) => ['/health', '/metrics'].includes(pathOf(req)) },
  };
  if (format === 'json' && destination === undefined) return { pinoHttp: options };
  const stream =
    format === 'json'
      ? { write: (line: string) => sink.write(line) }
      : { write: (line: string) => sink.write(formatLogLine(line, { colour: isTerminal })) };
  return { pinoHttp: [options, stream] };
}

/** Nest's own start-up chatter (modules initialised, each route mapped): at debug, not info. */
const FRAMEWORK_CONTEXTS: ReadonlySet<string> = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/** The application logger, with Nest's framework lines moved down to debug. */
export class RouterLogger implements LoggerService {
  constructor(private readonly inner: LoggerService) {}

  log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    if (typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context))
      this.inner.debug?.(message, ...optionalParams);
    else this.inner.log(message, ...optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.error(message, ...optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.warn(message, ...optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.debug?.(message, ...optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.verbose?.(message, ...optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.fatal?.(message, ...optionalParams);
  }
}
