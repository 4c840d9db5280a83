import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Req,
  Res,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { SIM_CONFIG, type SimConfig } from '../config/sim.config';
import { AllowedFor } from '../http/allowed-for.guard';
import { SimHttpError } from '../http/sim-http.error';
import {
  CAPACITY_CHANNELS,
  type Agent,
  type CapacityChannel,
  type CapacityRule,
} from '../store/account.model';
import { AccountStore, type CapacityRuleInput } from '../store/account.store';
import { baseUrlOf, idList, pageLink, pageOf, pageRequest, queryParams } from './query';

const RULES_PATH = '/api/v2/capacity/rules';
const SAMPLE_SIZE = 5;

/** The Capacity Rules API (section 9): plain JSON bodies and `{"error": ...}` errors. */
@Controller('api/v2/capacity/rules')
export class CapacityRulesController {
  constructor(
    private readonly store: AccountStore,
    @Inject(SIM_CONFIG) private readonly config: SimConfig,
  ) {}

  /** 9.2: a bare array. */
  @Get()
  @AllowedFor('admins')
  list() {
    return this.store.capacityRules().map((rule) => this.ruleJson(rule));
  }

  /** 9.5: which rule every agent is in. Declared before `:ruleId` so `assignees` is not an id. */
  @Get('assignees')
  @AllowedFor('admins')
  assignees(@Req() req: Request) {
    return this.assigneePage(req, null, `${RULES_PATH}/assignees`);
  }

  /** 9.3: 201 with the rule and its `Location`. */
  @Post()
  @AllowedFor('admins')
  create(@Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const input = readRuleInput(body, { requireName: true });
    const rule = this.store.createCapacityRule(input);
    res.status(201).location(`${RULES_PATH}/${rule.id}`);
    return this.ruleJson(rule);
  }

  @Get(':ruleId')
  @AllowedFor('admins')
  show(@Param('ruleId') ruleId: string) {
    return this.ruleJson(this.store.requireCapacityRule(ruleId));
  }

  /** 9.4: partial update; capacities merge per channel; `agent_ids` move into this rule. */
  @Put(':ruleId')
  @AllowedFor('admins')
  update(@Param('ruleId') ruleId: string, @Body() body: unknown) {
    this.store.requireCapacityRule(ruleId);
    return this.ruleJson(this.store.updateCapacityRule(ruleId, readRuleInput(body, { requireName: false })));
  }

  /** 9.4: 204; the rule's agents move to the default rule. */
  @Delete(':ruleId')
  @AllowedFor('admins')
  @HttpCode(204)
  remove(@Param('ruleId') ruleId: string): void {
    this.store.deleteCapacityRule(ruleId);
  }

  /** 9.4: moves agents into the rule (`{"agents": [ids]}`). */
  @Patch(':ruleId/agents')
  @AllowedFor('admins')
  assign(@Param('ruleId') ruleId: string, @Body() body: unknown) {
    this.store.requireCapacityRule(ruleId);
    const record = requireObject(body);
    const agents = record.agents;
    if (!isIdArray(agents)) throw SimHttpError.badRequest('agents must be an array of agent ids');
    return this.ruleJson(this.store.updateCapacityRule(ruleId, { agentIds: agents }));
  }

  @Get(':ruleId/assignees')
  @AllowedFor('admins')
  ruleAssignees(@Req() req: Request, @Param('ruleId') ruleId: string) {
    this.store.requireCapacityRule(ruleId);
    return this.assigneePage(req, ruleId, `${RULES_PATH}/${encodeURIComponent(ruleId)}/assignees`);
  }

  private assigneePage(req: Request, ruleId: string | null, path: string) {
    const params = queryParams(req);
    const request = pageRequest(params, 20);
    const rawFilter = params.get('filter[agent_ids]');
    const only = rawFilter === undefined ? null : new Set(idList(rawFilter, 'filter[agent_ids]'));
    const cursor = (raw: string | null, name: string): number | null => {
      if (raw === null) return null;
      if (!/^\d+$/.test(raw)) throw SimHttpError.badRequest(`${name} must be an agent id`);
      return Number(raw);
    };
    const agents = this.store
      .agents()
      .filter((a) => (ruleId === null || a.capacityRuleId === ruleId) && (only === null || only.has(a.id)));
    const slice = pageOf(
      agents,
      (a: Agent) => a.id,
      (a, b) => a - b,
      {
        size: request.size,
        after: cursor(request.after, 'page[after]'),
        before: cursor(request.before, 'page[before]'),
      },
    );
    const base = baseUrlOf(req, this.config.publicUrl);
    const links: Record<string, string> = {};
    const first = slice.items[0];
    const last = slice.items[slice.items.length - 1];
    if (slice.hasNext && last)
      links.next = pageLink(base, path, params, { name: 'page[after]', value: String(last.id) });
    if (slice.hasPrev && first)
      links.prev = pageLink(base, path, params, { name: 'page[before]', value: String(first.id) });
    return {
      assignees: slice.items.map((a) => ({ agent_id: a.id, capacity_rule_id: a.capacityRuleId })),
      links,
      meta: { has_more: slice.hasNext },
    };
  }

  private ruleJson(rule: CapacityRule) {
    const agents = this.store.agentsOfRule(rule.id);
    return {
      id: rule.id,
      name: rule.name,
      description: rule.description,
      default: rule.isDefault,
      capacities: { ...rule.capacities },
      assignees: {
        agents_sample: agents.slice(0, SAMPLE_SIZE).map((a) => ({ id: a.id, name: a.email })),
        count: agents.length,
      },
      created_at: new Date(rule.createdAt).toISOString(),
      last_updated_at: new Date(rule.updatedAt).toISOString(),
    };
  }
}

/** Validates a create/update body completely before anything changes; unknown keys are ignored. */
function readRuleInput(body: unknown, options: { requireName: boolean }): CapacityRuleInput {
  const record = requireObject(body);
  const input: CapacityRuleInput = {};
  if (record.name !== undefined || options.requireName) {
    if (typeof record.name !== 'string' || record.name.trim() === '') {
      throw SimHttpError.badRequest('name is required and must be a non-empty string');
    }
    input.name = record.name;
  }
  if (record.description !== undefined) {
    if (typeof record.description !== 'string') throw SimHttpError.badRequest('description must be a string');
    input.description = record.description;
  }
  if (record.capacities !== undefined) {
    const capacities = record.capacities;
    if (typeof capacities !== 'object' || capacities === null || Array.isArray(capacities)) {
      throw SimHttpError.badRequest(
        'capacities must be an object such as {"email": 10, "messaging": 3, "voice": 1}',
      );
    }
    const out: Partial<Record<CapacityChannel, number>> = {};
    for (const [channel, value] of Object.entries(capacities as Record<string, unknown>)) {
      if (!(CAPACITY_CHANNELS as readonly string[]).includes(channel)) {
        throw SimHttpError.badRequest(
          `capacities.${channel} is not a channel (use ${CAPACITY_CHANNELS.join(', ')})`,
        );
      }
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
        throw SimHttpError.badRequest(
          `capacities.${channel} must be an integer >= 0 (got ${JSON.stringify(value)})`,
        );
      }
      out[channel as CapacityChannel] = value;
    }
    input.capacities = out;
  }
  if (record.agent_ids !== undefined) {
    if (!isIdArray(record.agent_ids))
      throw SimHttpError.badRequest('agent_ids must be an array of agent ids');
    input.agentIds = record.agent_ids;
  }
  if (record.default !== undefined) {
    if (typeof record.default !== 'boolean') throw SimHttpError.badRequest('default must be true or false');
    input.isDefault = record.default;
  }
  return input;
}

function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw SimHttpError.badRequest('The body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function isIdArray(value: unknown): value is number[] {
  return (
    Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0)
  );
}
