import { HttpException, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ZendeskClientOptions } from '@app/zendesk';
import { json, type NextFunction, type Request, type Response } from 'express';
import { API_BOUNDS, tooDeepAt } from './api/api-input.bounds';
import { JsonErrorFilter } from './api/json-error.filter';
import { RouterLogger, type LogDestination } from './logging/router.logger';
import { readRawBody } from './api/webhook.controller';
import type { RouterConfig } from './config/router.config';
import { AuditStore } from './audit/audit.store';
import { RouterModule } from './router.module';
import { SESSION_COOKIE } from './api/session.store';
import { AgentSyncService } from './sync/agent-sync.service';
import { WebhookDeliveries } from './sync/webhook-deliveries';

/**
 * Builds the router application (not yet listening); tests call this with port 0, and may take
 * its log lines from `logDestination` instead of stdout.
 */
export async function createRouterApp(
  config: RouterConfig,
  zendesk: ZendeskClientOptions,
  logDestination?: LogDestination,
): Promise<NestExpressApplication> {
  const rootModule = RouterModule.forRoot(config, zendesk, logDestination);
  const app = await NestFactory.create<NestExpressApplication>(rootModule, {
    // Webhook signatures cover the raw bytes: that route reads its own body.
    bodyParser: false,
    bufferLogs: true,
  });
  // pino at LOG_LEVEL, readable lines or JSON (LOG_FORMAT); Nest's own start-up lines at debug.
  app.useLogger(new RouterLogger(app.get(Logger)));
  app.disable('x-powered-by');
  // TRUST_PROXY: the one proxy in front says the protocol (Secure cookies) and the client address (sign-in limit).
  app.set('trust proxy', config.http.trustProxy ? 1 : false);
  const deliveries = app.get(WebhookDeliveries);
  app.use(
    '/webhooks/zendesk',
    readRawBody(config.zendesk.webhookMaxBodyBytes, (reason) =>
      deliveries.record({ kind: 'rejected', cause: 'too_large', reason }),
    ),
  );
  app.use('/api', jsonBody());
  app.useGlobalFilters(new JsonErrorFilter());
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // One JSON error naming the first bad field, like every other error of the API.
      exceptionFactory: (errors) => {
        const first = errors[0];
        const message = first?.constraints
          ? Object.values(first.constraints)[0]!
          : 'the request is not valid';
        return new HttpException({ error: 'bad_request', message }, 400);
      },
    }),
  );
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Availability Router')
      .setDescription(
        'Agents, decisions, rules, explanations, pause/resume and the live stream. /health and /metrics are open; /api needs the bearer token, or the session cookie of POST /api/session.',
      )
      .addBearerAuth()
      .addCookieAuth(SESSION_COOKIE, { type: 'apiKey' }, SESSION_COOKIE)
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  app.enableShutdownHooks();
  // The audit store closes last, after the pipeline has recorded its in-flight writes.
  const audit = app.get(AuditStore);
  const close = app.close.bind(app);
  app.close = async () => {
    await close();
    await audit.close();
  };
  return app;
}

/** Listens, then starts syncing: webhooks are received before the first pass acts. */
export async function listenAndSync(app: NestExpressApplication, port: number, host: string): Promise<void> {
  await app.listen(port, host);
  await app.get(AgentSyncService).start();
}

/**
 * JSON bodies for the API, with parse errors answered as JSON (not Express's HTML page), and no
 * deeper than `API_BOUNDS.maxBodyDepth`: validation and the handlers walk a body recursively.
 */
function jsonBody() {
  const parse = json({ limit: '100kb' });
  return (req: Request, res: Response, next: NextFunction): void => {
    parse(req, res, (error?: unknown) => {
      if (!error) {
        const deepAt = tooDeepAt(req.body, API_BOUNDS.maxBodyDepth);
        if (deepAt === null) return next();
        res.status(400).json({
          error: 'bad_request',
          message: `the body nests deeper than ${API_BOUNDS.maxBodyDepth} levels (at ${deepAt})`,
        });
        return;
      }
      const tooLarge = (error as { type?: string }).type === 'entity.too.large';
      res
        .status(tooLarge ? 413 : 400)
        .json(
          tooLarge
            ? { error: 'payload_too_large', message: 'the body is over 100 kB' }
            : { error: 'bad_request', message: 'the body is not valid JSON' },
        );
    });
  };
}
