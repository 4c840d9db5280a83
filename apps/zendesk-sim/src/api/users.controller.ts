import { Controller, Get, Inject, Param, Req } from '@nestjs/common';
import type { Request } from 'express';
import { SIM_CONFIG, type SimConfig } from '../config/sim.config';
import { AllowedFor } from '../http/allowed-for.guard';
import { SimHttpError } from '../http/sim-http.error';
import type { Agent } from '../store/account.model';
import { AccountStore } from '../store/account.store';
import { baseUrlOf, idList, queryParams } from './query';

/** Most ids `show_many` takes in one call (section 13). */
const SHOW_MANY_LIMIT = 100;

/**
 * The part of the Users API the router reads (section 13): the seeded agents as Support users.
 * Errors use the Support body (`{"error", "description"}`).
 */
@Controller('api/v2/users')
export class UsersController {
  constructor(
    private readonly store: AccountStore,
    @Inject(SIM_CONFIG) private readonly config: SimConfig,
  ) {}

  /** Users by id; unknown ids are left out, as Zendesk does. Declared before `:userId`. */
  @Get('show_many')
  @AllowedFor('agents')
  showMany(@Req() req: Request) {
    const raw = queryParams(req).get('ids');
    if (raw === undefined)
      throw SimHttpError.badRequest('ids is required (a comma-separated list of user ids)');
    const ids = idList(raw, 'ids');
    if (ids.length > SHOW_MANY_LIMIT) {
      throw SimHttpError.badRequest(`ids takes at most ${SHOW_MANY_LIMIT} user ids (got ${ids.length})`);
    }
    const base = baseUrlOf(req, this.config.publicUrl);
    const users = [...new Set(ids)]
      .map((id) => this.store.agent(id))
      .filter((agent): agent is Agent => agent !== undefined)
      .map((agent) => userJson(agent, base));
    return { users, next_page: null, previous_page: null, count: users.length };
  }

  /** `query=email:someone@example.com` (or a bare address): the users with that email. */
  @Get('search')
  @AllowedFor('agents')
  search(@Req() req: Request) {
    const query = queryParams(req).get('query');
    if (query === undefined || query.trim() === '') throw SimHttpError.badRequest('query is required');
    const email = query
      .trim()
      .replace(/^email:/i, '')
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
      throw SimHttpError.badRequest(
        `query must be email:<address>; the simulator searches by email only (got ${JSON.stringify(query)})`,
      );
    }
    const base = baseUrlOf(req, this.config.publicUrl);
    const users = this.store
      .agents()
      .filter((agent) => agent.email.toLowerCase() === email)
      .map((agent) => userJson(agent, base));
    return { users, next_page: null, previous_page: null, count: users.length };
  }

  @Get(':userId')
  @AllowedFor('agents')
  show(@Req() req: Request, @Param('userId') userId: string) {
    const agent = /^\d+$/.test(userId) ? this.store.agent(Number(userId)) : undefined;
    if (!agent) throw new SimHttpError(404, 'RecordNotFound', 'Not Found', 'Not found');
    return { user: userJson(agent, baseUrlOf(req, this.config.publicUrl)) };
  }
}

/** A seeded agent as a Support user. */
function userJson(agent: Agent, base: string) {
  return {
    id: agent.id,
    url: `${base}/api/v2/users/${agent.id}.json`,
    name: agent.name,
    email: agent.email,
    role: 'agent',
    active: true,
    verified: true,
    suspended: false,
    time_zone: agent.timeZone.rails,
    iana_time_zone: agent.timeZone.iana,
    locale: 'en-US',
    default_group_id: agent.groupIds[0] ?? null,
  };
}
