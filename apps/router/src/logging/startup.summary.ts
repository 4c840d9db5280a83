import type { ZendeskClientOptions } from '@app/zendesk';
import type { RouterConfig } from '../config/router.config';

/** What the start-up summary says, read once the router listens. */
export interface StartupFacts {
  config: RouterConfig;
  /** The address the router listens on, `http://host:port`. */
  url: string;
  zendesk: ZendeskClientOptions;
  rules: { count: number; revision: string } | null;
  paused: boolean;
}

/**
 * A few lines for the person who started the router: where its API, docs, metrics and webhooks
 * are, the API token (only when generated for this run), which Zendesk it talks to, the rules
 * and data it uses, and its mode. Written to stderr at every LOG_LEVEL, apart from the log
 * lines (stdout), so a JSON log stays JSON.
 */
export function startupSummary({ config, url, zendesk, rules, paused }: StartupFacts): string {
  const target = config.zendesk.target;
  const zendeskLine =
    target.kind === 'embedded'
      ? `embedded simulator at ${zendesk.baseUrl} (control API at ${zendesk.baseUrl}/sim)`
      : target.kind === 'account'
        ? `https://${target.subdomain}.zendesk.com`
        : `${target.baseUrl}`;
  const token = config.api.tokenGenerated
    ? `${config.api.token} (generated for this run; set ROUTER_API_TOKEN to keep one)`
    : 'from ROUTER_API_TOKEN';
  const mode = [
    config.safety.enforce
      ? 'enforcing'
      : 'shadow: decisions are recorded, nothing is changed (ENFORCE=on acts)',
    ...(paused ? ['paused (POST /api/resume)'] : []),
  ].join(', ');
  const rows: Array<[string, string]> = [
    ['API', `${url}/api (Authorization: Bearer <token>)`],
    ['Token', token],
    ['Docs', `${url}/docs`],
    ['Metrics', `${url}/metrics (health at ${url}/health)`],
    ['Webhooks', `${config.http.publicUrl ?? url}/webhooks/zendesk`],
    ['Zendesk', zendeskLine],
    [
      'Rules',
      `${config.storage.rulesDir}${rules ? ` (${rules.count} rule${rules.count === 1 ? '' : 's'}, revision ${rules.revision})` : ' (none loaded)'}`,
    ],
    ['Data', config.storage.dataDir],
    ['Mode', mode],
    [
      'Logs',
      `${config.logLevel}, ${config.logFormat === 'auto' ? 'auto (readable on a terminal, else JSON)' : config.logFormat} (LOG_LEVEL, LOG_FORMAT)`,
    ],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return `Availability Router listening on ${url}\n${rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`).join('\n')}\n`;
}
