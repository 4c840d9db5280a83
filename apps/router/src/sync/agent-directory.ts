import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ZendeskClient, ZendeskError, type ZendeskUser } from '@app/zendesk';
import type { Subscription } from 'rxjs';
import { LiveEvents } from '../api/live.events';
import type { RouterConfig } from '../config/router.config';
import { ROUTER_CONFIG } from '../config/router.tokens';
import { AgentStateCache } from './agent-state.cache';

/** Who an agent id is, as the Users API says (section 13). */
export interface AgentIdentity {
  name: string;
  email: string | null;
  /** The IANA zone (`Europe/Berlin`), or null when Zendesk gives none. */
  timeZone: string | null;
  /** Zendesk's own (Rails) zone name (`Berlin`), or null. */
  zendeskTimeZone: string | null;
}

/** Users per `show_many` call, the most Zendesk takes (section 13). */
const USERS_PER_CALL = 100;

/** How long after a newly seen agent the directory asks, so that a burst costs one `show_many`. */
const NEW_AGENT_DELAY_MS = 500;

/**
 * The names, emails and time zones of the agents in the cache, learnt from the Users API with
 * batched `show_many` calls (100 agents each): after every full sync and shortly after an agent
 * is first seen, and all of them again every `USERS_REFRESH_S`. It has a budget of its own in
 * the client (the Users API is a Support API with its own limit), runs one lookup at a time, and
 * nothing ever waits for it: an agent it does not know yet is shown without a name.
 */
@Injectable()
export class AgentDirectory implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AgentDirectory');
  private readonly known = new Map<number, AgentIdentity>();
  /** Agents asked about since the last full refresh, whether Zendesk knew them or not. */
  private readonly asked = new Set<number>();
  private readonly stop = new AbortController();
  private running: Promise<void> | null = null;
  /** Another lookup was asked for while one ran. */
  private again = false;
  private newAgentTimer: NodeJS.Timeout | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private subscription: Subscription | null = null;
  /** The last failure's code, so that a Users API that stays down is logged once. */
  private lastFailure: string | null = null;

  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly client: ZendeskClient,
    private readonly cache: AgentStateCache,
    private readonly live: LiveEvents,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.live.events$.subscribe((event) => {
      if (event.type === 'agent' && !this.asked.has(event.agentId)) this.soon();
    });
    this.refreshTimer = setInterval(() => this.refreshAll(), this.config.sync.usersRefreshS * 1000);
    this.refreshTimer.unref();
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
    if (this.newAgentTimer) clearTimeout(this.newAgentTimer);
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.stop.abort();
  }

  /** What the directory knows of an agent, or undefined (not learnt yet, or not a user Zendesk gave). */
  get(agentId: number): AgentIdentity | undefined {
    return this.known.get(agentId);
  }

  /** Agents with a name, and agents of the cache not asked about yet. */
  counts(): { known: number; unknown: number } {
    let unknown = 0;
    for (const agent of this.cache.all()) if (!this.asked.has(agent.agentId)) unknown++;
    return { known: this.known.size, unknown };
  }

  /** Looks up the cached agents not asked about yet (after a full sync); returns at once. */
  learnNew(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.lookUpMissing().finally(() => {
      this.running = null;
      if (this.again && !this.stop.signal.aborted) {
        this.again = false;
        this.learnNew();
      }
    });
  }

  /** Asks about every cached agent again (names and zones change); returns at once. */
  refreshAll(): void {
    this.asked.clear();
    this.learnNew();
  }

  /** Resolves when no lookup is running (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private soon(): void {
    if (this.newAgentTimer) return;
    this.newAgentTimer = setTimeout(() => {
      this.newAgentTimer = null;
      this.learnNew();
    }, NEW_AGENT_DELAY_MS);
    this.newAgentTimer.unref();
  }

  private async lookUpMissing(): Promise<void> {
    const ids = [...this.cache.all()].map((a) => a.agentId).filter((id) => !this.asked.has(id));
    // One `show_many` at a time, so a failure loses one batch and what came before is kept.
    for (let i = 0; i < ids.length; i += USERS_PER_CALL) {
      if (!(await this.lookUp(ids.slice(i, i + USERS_PER_CALL)))) return;
    }
  }

  /** One batch; whether it was answered. */
  private async lookUp(ids: readonly number[]): Promise<boolean> {
    try {
      const users = await this.client.getUsers(ids, { priority: 'bulk', signal: this.stop.signal });
      const found = new Map(users.map((u) => [u.id, u]));
      for (const id of ids) {
        this.asked.add(id);
        const user = found.get(id);
        if (user) this.known.set(id, identityOf(user));
        else this.known.delete(id);
      }
      if (this.lastFailure !== null) this.logger.log('The Users API answers again');
      this.lastFailure = null;
      return true;
    } catch (error) {
      if (this.stop.signal.aborted) return false;
      // Left un-asked: the next full sync, new agent or refresh tries again.
      const code = error instanceof ZendeskError ? error.code : String(error);
      if (code !== this.lastFailure) {
        this.logger.warn(
          `Reading agent names from the Users API failed (${code}); agents show without names`,
        );
      }
      this.lastFailure = code;
      return false;
    }
  }
}

function identityOf(user: ZendeskUser): AgentIdentity {
  return {
    name: user.name,
    email: user.email,
    timeZone: user.ianaTimeZone,
    zendeskTimeZone: user.timeZone,
  };
}
