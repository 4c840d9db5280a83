/** The simulator's settings, read once from the environment at start. */
export interface SimConfig {
  readonly host: string;
  readonly port: number;
  /** Base for `links` in responses; defaults to the address a request arrived on. */
  readonly publicUrl: string | null;
  readonly accountId: number;
  readonly agentCount: number;
  readonly seed: number;
  readonly activity: boolean;
  readonly rateLimitPerMin: number;
  readonly workItemsPerChannel: number;
  readonly admin: { readonly email: string; readonly apiToken: string };
  readonly agent: { readonly email: string; readonly apiToken: string };
  readonly oauthToken: string;
  /** The OAuth client whose tokens expire and rotate on refresh (section 2.1). */
  readonly oauthClient: {
    readonly clientId: string;
    readonly clientSecret: string;
    /** Valid from the start until it is used once. */
    readonly refreshToken: string;
    readonly accessTokenTtlS: number;
    readonly refreshTokenTtlS: number;
  };
  /** A webhook to create at start, so a receiver gets events without calling the Webhooks API. */
  readonly webhook: { readonly url: string; readonly secret: string | null } | null;
  /**
   * Exit when stdin reaches its end. A parent that embeds the simulator (the router) spawns it with
   * a stdin pipe and sets this: the kernel closes that pipe whenever the parent ends, even on
   * SIGKILL, so the simulator cannot outlive it. Off for a simulator run on its own.
   */
  readonly exitWithParent: boolean;
}

/** The settings a test or the embedded router gets unless it says otherwise. */
export const SIM_DEFAULTS: SimConfig = Object.freeze({
  host: '127.0.0.1',
  port: 4010,
  publicUrl: null,
  accountId: 8_810_442,
  agentCount: 200,
  seed: 42,
  activity: true,
  rateLimitPerMin: 200,
  workItemsPerChannel: 3,
  admin: { email: 'admin@example.com', apiToken: 'sim-admin-token' },
  agent: { email: 'agent@example.com', apiToken: 'sim-agent-token' },
  oauthToken: 'sim-oauth-token',
  oauthClient: {
    clientId: 'sim-oauth-client',
    clientSecret: 'sim-oauth-client-secret',
    refreshToken: 'sim-oauth-refresh-token',
    accessTokenTtlS: 1_800,
    refreshTokenTtlS: 2_592_000,
  },
  webhook: null,
  exitWithParent: false,
});

/** Raised with every bad key at once, so one start tells the operator everything to fix. */
export class SimConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid simulator configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SimConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads and validates `SIM_*`, `PORT` and `HOST`; throws `SimConfigError` listing every bad key. */
export function loadSimConfig(env: Env = process.env): SimConfig {
  const problems: string[] = [];
  const read = (key: string): string | undefined => {
    const value = env[key];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const raw = read(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${key}=${JSON.stringify(raw)}: expected an integer from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const raw = read(key)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'on', 'yes'].includes(raw)) return true;
    if (['0', 'false', 'off', 'no'].includes(raw)) return false;
    problems.push(`${key}=${JSON.stringify(raw)}: expected on/off, true/false, yes/no or 1/0`);
    return fallback;
  };
  const text = (key: string, fallback: string, pattern?: RegExp, expected?: string): string => {
    const raw = read(key);
    if (raw === undefined) return fallback;
    if (pattern && !pattern.test(raw)) {
      problems.push(`${key}: expected ${expected ?? pattern.source}`);
      return fallback;
    }
    return raw;
  };
  const url = (key: string): string | null => {
    const raw = read(key);
    if (raw === undefined) return null;
    try {
      const parsed = new URL(raw);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
      return raw.replace(/\/+$/, '');
    } catch {
      problems.push(`${key}=${JSON.stringify(raw)}: expected an http(s) URL`);
      return null;
    }
  };
  const email = /^[^\s@/:]+@[^\s@/:]+$/;
  const token = /^\S{8,}$/;

  const webhookUrl = url('SIM_WEBHOOK_URL');
  const webhookSecret = read('SIM_WEBHOOK_SECRET') ?? null;
  if (webhookSecret !== null && webhookUrl === null && read('SIM_WEBHOOK_URL') === undefined) {
    problems.push(
      'SIM_WEBHOOK_SECRET is set but SIM_WEBHOOK_URL is not: the secret signs events sent to that URL',
    );
  }
  const config: SimConfig = {
    host: text('HOST', SIM_DEFAULTS.host, /^[\w.:-]+$/, 'a host name or IP address'),
    port: int('PORT', SIM_DEFAULTS.port, 0, 65_535),
    publicUrl: url('SIM_PUBLIC_URL'),
    accountId: int('SIM_ACCOUNT_ID', SIM_DEFAULTS.accountId, 1, Number.MAX_SAFE_INTEGER),
    agentCount: int('SIM_AGENTS', SIM_DEFAULTS.agentCount, 1, 100_000),
    seed: int('SIM_SEED', SIM_DEFAULTS.seed, 0, 2 ** 32 - 1),
    activity: bool('SIM_ACTIVITY', SIM_DEFAULTS.activity),
    rateLimitPerMin: int('SIM_RATE_LIMIT_PER_MIN', SIM_DEFAULTS.rateLimitPerMin, 1, 1_000_000),
    workItemsPerChannel: int('SIM_WORK_ITEMS_PER_CHANNEL', SIM_DEFAULTS.workItemsPerChannel, 0, 100),
    admin: {
      email: text('SIM_ADMIN_EMAIL', SIM_DEFAULTS.admin.email, email, 'an email address'),
      apiToken: text(
        'SIM_ADMIN_TOKEN',
        SIM_DEFAULTS.admin.apiToken,
        token,
        'at least 8 characters, no spaces',
      ),
    },
    agent: {
      email: text('SIM_AGENT_EMAIL', SIM_DEFAULTS.agent.email, email, 'an email address'),
      apiToken: text(
        'SIM_AGENT_TOKEN',
        SIM_DEFAULTS.agent.apiToken,
        token,
        'at least 8 characters, no spaces',
      ),
    },
    oauthToken: text('SIM_OAUTH_TOKEN', SIM_DEFAULTS.oauthToken, token, 'at least 8 characters, no spaces'),
    oauthClient: {
      clientId: text('SIM_OAUTH_CLIENT_ID', SIM_DEFAULTS.oauthClient.clientId, /^\S+$/, 'no spaces'),
      clientSecret: text(
        'SIM_OAUTH_CLIENT_SECRET',
        SIM_DEFAULTS.oauthClient.clientSecret,
        token,
        'at least 8 characters, no spaces',
      ),
      refreshToken: text(
        'SIM_OAUTH_REFRESH_TOKEN',
        SIM_DEFAULTS.oauthClient.refreshToken,
        token,
        'at least 8 characters, no spaces',
      ),
      accessTokenTtlS: int(
        'SIM_OAUTH_ACCESS_TOKEN_TTL_S',
        SIM_DEFAULTS.oauthClient.accessTokenTtlS,
        1,
        7_776_000,
      ),
      refreshTokenTtlS: int(
        'SIM_OAUTH_REFRESH_TOKEN_TTL_S',
        SIM_DEFAULTS.oauthClient.refreshTokenTtlS,
        1,
        7_776_000,
      ),
    },
    webhook: webhookUrl === null ? null : { url: webhookUrl, secret: webhookSecret },
    exitWithParent: bool('SIM_EXIT_WITH_PARENT', SIM_DEFAULTS.exitWithParent),
  };
  if (config.admin.email === config.agent.email) {
    problems.push('SIM_ADMIN_EMAIL and SIM_AGENT_EMAIL must differ');
  }
  if (problems.length > 0) throw new SimConfigError(problems);
  return Object.freeze(config);
}

/** Injection token for the frozen `SimConfig`. */
export const SIM_CONFIG = Symbol('SIM_CONFIG');
