import type { INestApplication } from '@nestjs/common';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { SimClock } from '../clock/sim.clock';
import { FaultInjector } from '../faults/fault.injector';
import type { Identity } from '../store/account.model';
import { Authenticator } from './authenticator';
import { RateLimiter } from './rate.limiter';
import { RequestLog } from './request.log';
import { SimHttpError, apiFamilyOf, errorBody } from './sim-http.error';

const ZENDESK_PREFIX = '/api/v2/';
const BODY_LIMIT = '1mb';

/**
 * Installs what every Zendesk request passes before it reaches a controller, in Zendesk's order
 * as far as a client can tell: the `Date` of the simulator's clock, request log, faults, `.json`
 * suffix, authentication, the account's rate limit, content negotiation, then the JSON body.
 */
export function installZendeskEdge(app: INestApplication): void {
  const clock = app.get(SimClock);
  const log = app.get(RequestLog);
  const faults = app.get(FaultInjector);
  const auth = app.get(Authenticator);
  const limiter = app.get(RateLimiter);

  const zendeskOnly =
    (handler: RequestHandler): RequestHandler =>
    (req, res, next) =>
      req.path.startsWith(ZENDESK_PREFIX) ? handler(req, res, next) : next();

  app.use(zendeskOnly(stampDate(clock)));
  app.use(zendeskOnly(recordRequests(clock, log)));
  app.use(zendeskOnly(injectFaults(faults)));
  app.use(zendeskOnly(stripJsonSuffix));
  app.use(zendeskOnly(authenticate(auth)));
  app.use(zendeskOnly(rateLimit(limiter)));
  app.use(zendeskOnly(negotiate));
  app.use(parseJsonBody());
}

/** Sends an error in the body format of the API the request was for. */
export function sendError(req: Request, res: Response, error: SimHttpError): void {
  res.status(error.status).set(error.headers);
  res.json(
    error.status === 401 ? { error: "Couldn't authenticate you" } : errorBody(apiFamilyOf(req.path), error),
  );
}

/**
 * Every answer's `Date` header is the simulator's clock, as Zendesk's is its own: a client that
 * compares clocks sees the same time the webhook signatures carry.
 */
function stampDate(clock: SimClock): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Date', new Date(clock.now()).toUTCString());
    next();
  };
}

function recordRequests(clock: SimClock, log: RequestLog): RequestHandler {
  return (req, res, next) => {
    const started = clock.now();
    const startedReal = performance.now();
    const path = req.path;
    const query = req.originalUrl.includes('?')
      ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1)
      : '';
    let done = false;
    const finish = (status: number | null) => {
      if (done) return;
      done = true;
      log.record({
        time: new Date(started).toISOString(),
        method: req.method,
        path,
        query,
        status,
        durationMs: Math.round((performance.now() - startedReal) * 100) / 100,
        identity: identityOf(req)?.email ?? null,
      });
    };
    res.once('finish', () => finish(res.statusCode));
    res.once('close', () => finish(res.writableFinished ? res.statusCode : null));
    next();
  };
}

function injectFaults(faults: FaultInjector): RequestHandler {
  return (req, res, next) => {
    const plan = faults.planRequest(req.method, req.path);
    const act = () => {
      const failure = plan.failure;
      if (!failure) return next();
      switch (failure.type) {
        case 'outage':
          if (failure.mode === 'reset') return void req.socket.destroy();
          return sendError(
            req,
            res,
            new SimHttpError(503, 'ServiceUnavailable', 'Service Unavailable', 'Zendesk is unavailable', {
              'Retry-After': '30',
            }),
          );
        case 'timeout':
          return faults.hold(req.socket, failure.holdMs);
        case 'error':
          return sendError(
            req,
            res,
            new SimHttpError(
              failure.status,
              'ServerError',
              'Server Error',
              `Injected upstream failure (${failure.status})`,
            ),
          );
        case 'rate_limit':
          res.set({ 'X-Rate-Limit': '0', 'X-Rate-Limit-Remaining': '0' });
          return sendRateLimited(res, failure.retryAfterS, 0);
      }
    };
    if (plan.delayMs > 0) setTimeout(act, plan.delayMs);
    else act();
  };
}

/** `.json` is optional on every path (section 1). */
const stripJsonSuffix: RequestHandler = (req, _res, next) => {
  const [path = '', query] = splitOnce(req.url, '?');
  if (path.endsWith('.json'))
    req.url = path.slice(0, -'.json'.length) + (query === undefined ? '' : `?${query}`);
  next();
};

function authenticate(auth: Authenticator): RequestHandler {
  return (req, res, next) => {
    const identity = auth.identify(req.headers.authorization);
    if (!identity) {
      res
        .status(401)
        .set(auth.challenge(req.headers.authorization))
        .json({ error: "Couldn't authenticate you" });
      return;
    }
    (req as Request & { identity?: Identity }).identity = identity;
    next();
  };
}

function rateLimit(limiter: RateLimiter): RequestHandler {
  return (req, res, next) => {
    const decision = limiter.take();
    res.set({ 'X-Rate-Limit': String(decision.limit), 'X-Rate-Limit-Remaining': String(decision.remaining) });
    if (!decision.allowed) return sendRateLimited(res, decision.retryAfterS, decision.limit);
    next();
  };
}

/** The 429 of section 4: clients read only `Retry-After`, but the body matches Zendesk's. */
function sendRateLimited(res: Response, retryAfterS: number, limit: number): void {
  res.status(429).set('Retry-After', String(retryAfterS));
  res.json({
    error: 'APIRateLimitExceeded',
    description: limit > 0 ? `Rate limit of ${limit} requests per minute exceeded` : 'Too many requests',
  });
}

const SERVABLE = new Set(['*/*', 'application/*', 'application/json', 'application/vnd.api+json']);

/** JSON only (section 5): an `Accept` that rules JSON out gets 406. */
const negotiate: RequestHandler = (req, res, next) => {
  const accept = req.headers.accept;
  if (!accept) return next();
  const ranges = accept.split(',').map((part) => {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return { type, q: q ? Number(q.slice(2)) : 1 };
  });
  if (ranges.some((r) => SERVABLE.has(r.type) && r.q > 0)) return next();
  const notAcceptable = new SimHttpError(
    406,
    'NotAcceptable',
    'Not Acceptable',
    apiFamilyOf(req.path) === 'capacity' ? 'Not Acceptable' : 'Only application/json responses are supported',
  );
  sendError(req, res, notAcceptable);
};

/** JSON bodies for PUT/POST/PATCH; anything else with a body is refused with a reason. */
function parseJsonBody(): RequestHandler {
  const json = express.json({
    limit: BODY_LIMIT,
    type: ['application/json', 'application/*+json'],
    strict: false,
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !req.is(['application/json', 'application/*+json'])) {
      return sendError(
        req,
        res,
        SimHttpError.badRequest(
          `Send the body as JSON with Content-Type: application/json (got ${req.headers['content-type'] ?? 'none'})`,
        ),
      );
    }
    json(req, res, (error?: unknown) => {
      if (!error) return next();
      const status = (error as { status?: number }).status === 413 ? 413 : 400;
      const message = error instanceof Error ? error.message : 'unreadable body';
      sendError(
        req,
        res,
        status === 413
          ? new SimHttpError(413, 'PayloadTooLarge', 'Payload Too Large', `The body exceeds ${BODY_LIMIT}`)
          : SimHttpError.badRequest(`The request body is not valid JSON: ${message}`),
      );
    });
  };
}

function identityOf(req: Request): Identity | undefined {
  return (req as Request & { identity?: Identity }).identity;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
