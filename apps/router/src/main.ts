import 'reflect-metadata';
import type { ZendeskClientOptions } from '@app/zendesk';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { extname, join } from 'node:path';
import { RuleSetError } from '@app/rules';
import { RouterConfigError, loadRouterConfig, type RouterConfig } from './config/router.config';
import { startupSummary } from './logging/startup.summary';
import { RuleSetWatcher } from './rules/rule-set.watcher';
import { PauseSwitch } from './safety/pause.switch';
import { createRouterApp, listenAndSync } from './router.app';
import { subscribeAtStart } from './sync/webhook.bootstrap';

/**
 * A line from before the log exists (the logger is built with the app), written where the
 * start-up summary goes, so stdout holds only log lines.
 */
function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<void> {
  let config = loadRouterConfig();
  const port = config.http.port === 0 ? await freePort(config.http.host) : config.http.port;
  let zendesk: ZendeskClientOptions;
  const target = config.zendesk.target;
  switch (target.kind) {
    case 'embedded': {
      const simulatorUrl = await startSimulator(config, port);
      zendesk = {
        baseUrl: simulatorUrl,
        auth: { type: 'api_token', email: 'admin@example.com', token: 'sim-admin-token' },
      };
      note(`Embedded Zendesk simulator at ${simulatorUrl} (control API at ${simulatorUrl}/sim)`);
      break;
    }
    case 'account':
      zendesk = { subdomain: target.subdomain, auth: target.auth };
      break;
    case 'url':
      zendesk = { baseUrl: target.baseUrl, auth: target.auth };
      if (config.zendesk.webhookSecretSource === 'webhooks_api') {
        // Not a Zendesk account (a simulator run on its own): the router subscribes itself.
        const { config: subscribed, subscription } = await subscribeAtStart(config, zendesk, port);
        config = subscribed;
        note(
          `Webhook ${subscription.webhookId} ${subscription.created ? 'created' : 'updated'} through the Webhooks API: ${subscription.endpoint}`,
        );
      }
      break;
  }
  const app = await createRouterApp(config, zendesk);
  await listenAndSync(app, port, config.http.host);
  const url = `http://${config.http.host}:${port}`;
  const rules = app.get(RuleSetWatcher).current();
  // Shown at every LOG_LEVEL, apart from the log lines: where everything is, and the token.
  process.stderr.write(
    startupSummary({
      config,
      url,
      zendesk,
      rules: rules && { count: rules.rules.length, revision: rules.revision },
      paused: app.get(PauseSwitch).isPaused(),
    }),
  );
}

/**
 * Starts the built simulator with live activity, sending signed webhooks to this router. It never
 * outlives the router: it exits when its stdin pipe closes, which the kernel does however the
 * router ends (a failed start, a signal once the shutdown has drained, SIGKILL); when the router
 * exits through `process.exit` (a failed start), it is sent SIGTERM as well.
 */
function startSimulator(config: RouterConfig, routerPort: number): Promise<string> {
  // Run from the TypeScript sources (the end-to-end tests do, through a require hook), the router
  // starts the simulator's sources through the same hook.
  const fromSources = extname(__filename) === '.ts';
  const simulatorMain = join(__dirname, '..', '..', 'zendesk-sim', 'src', `main${extname(__filename)}`);
  if (!existsSync(simulatorMain)) {
    return Promise.reject(
      new RouterConfigError([
        'ZENDESK_SUBDOMAIN (with ZENDESK_EMAIL + ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN, and ZENDESK_WEBHOOK_SECRET): ' +
          'required here, because this build has no embedded simulator',
      ]),
    );
  }
  const child = spawn(process.execPath, [...(fromSources ? process.execArgv : []), simulatorMain], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      SIM_ACTIVITY: process.env.SIM_ACTIVITY ?? 'on',
      SIM_WEBHOOK_URL: `http://127.0.0.1:${routerPort}/webhooks/zendesk`,
      SIM_WEBHOOK_SECRET: config.zendesk.webhookSecrets[0],
      SIM_EXIT_WITH_PARENT: 'on',
    },
    // stdin: the pipe whose end stops the simulator; nothing is ever written to it.
    stdio: ['pipe', 'pipe', 'inherit'],
    // Its own process group: a Ctrl-C in the terminal reaches only the router, which drains its
    // writes against a simulator that is still there, and the simulator stops when the router has.
    detached: true,
  });
  process.once('exit', () => child.kill());
  return new Promise((resolve, reject) => {
    let out = '';
    const readUntilListening = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (!match) return;
      // Later output is read and dropped: a full pipe would block the simulator.
      child.stdout.off('data', readUntilListening).resume();
      resolve(match[1]!);
    };
    child.stdout.on('data', readUntilListening);
    child.once('exit', (code) => reject(new Error(`the embedded simulator exited with code ${code}`)));
  });
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

main().catch((error: unknown) => {
  // Configuration and rule problems are the operator's to fix: their messages say what and where.
  const known = error instanceof RouterConfigError || error instanceof RuleSetError;
  process.stderr.write(
    `${known ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
