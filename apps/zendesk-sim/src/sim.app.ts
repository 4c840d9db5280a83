import { type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { SimConfig } from './config/sim.config';
import { installZendeskEdge } from './http/zendesk-edge.middleware';
import { oauthTokenEndpoint } from './oauth/oauth-token.endpoint';
import { OAuthTokenIssuer } from './oauth/oauth-token.issuer';
import { SimModule } from './sim.module';

export interface SimAppOptions {
  logger?: LogLevel[] | false;
}

/** Builds the simulator application (not yet listening); tests call this with port 0. */
export async function createSimApp(
  config: SimConfig,
  options: SimAppOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(SimModule.forRoot(config), {
    bodyParser: false,
    logger: options.logger ?? ['error', 'warn', 'log'],
  });
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use('/oauth/tokens', oauthTokenEndpoint(app.get(OAuthTokenIssuer)));
  installZendeskEdge(app);
  app.enableShutdownHooks();
  return app;
}
