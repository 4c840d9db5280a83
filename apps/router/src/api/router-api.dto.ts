import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';
import type { DecisionOutcome } from '../audit/audit.store';

/** Decision outcomes, as the audit log records them. */
export const OUTCOMES: readonly DecisionOutcome[] = ['applied', 'shadow', 'no_op', 'suppressed', 'failed'];

/** `GET /api/decisions` filters; all optional, all combined. */
export class DecisionsQuery {
  @ApiPropertyOptional({ description: 'Only this agent' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'agent_id must be a whole number' })
  @Min(1, { message: 'agent_id must be a whole number' })
  agent_id?: number;

  @ApiPropertyOptional({ description: 'Only this rule' })
  @IsOptional()
  @IsString()
  rule?: string;

  @ApiPropertyOptional({ enum: OUTCOMES })
  @IsOptional()
  @IsIn(OUTCOMES, { message: `outcome must be one of ${OUTCOMES.join(', ')}` })
  outcome?: DecisionOutcome;

  @ApiPropertyOptional({ description: 'From this time (ISO 8601), inclusive' })
  @IsOptional()
  @IsISO8601({}, { message: 'from must be an ISO 8601 time' })
  from?: string;

  @ApiPropertyOptional({ description: 'Up to this time (ISO 8601), exclusive' })
  @IsOptional()
  @IsISO8601({}, { message: 'to must be an ISO 8601 time' })
  to?: string;

  @ApiPropertyOptional({
    description: 'Continue after this decision id (the next_before of the previous page)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'before must be a whole number' })
  @Min(1, { message: 'before must be a whole number' })
  before?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number from 1 to 500' })
  @Min(1, { message: 'limit must be a whole number from 1 to 500' })
  @Max(500, { message: 'limit must be a whole number from 1 to 500' })
  limit?: number;
}

/** `POST /api/explain`: a live agent, or facts to try (what-if). */
export class ExplainRequest {
  @ApiPropertyOptional({ description: 'Explain the rules for this agent as the router sees it now' })
  @IsOptional()
  @IsInt({ message: 'agent_id must be a whole number' })
  agent_id?: number;

  @ApiPropertyOptional({
    description: 'Fact values by catalogue name, e.g. {"status.name": "Break"}',
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject({ message: 'facts must be an object of fact values' })
  facts?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'Explain the live account: every capacity rule per capacity rule it changes',
  })
  @IsOptional()
  @IsBoolean({ message: 'account must be true or false' })
  account?: boolean;

  @ApiPropertyOptional({
    description: 'What-if: the facts are agent facts (default) or account facts',
    enum: ['agent', 'account'],
  })
  @IsOptional()
  @IsIn(['agent', 'account'], { message: 'scope must be agent or account' })
  scope?: 'agent' | 'account';

  @ApiPropertyOptional({
    description: 'What-if: the time to evaluate at (ISO 8601 with its offset); now when absent',
    example: '2026-11-23T10:00:00+01:00',
  })
  @IsOptional()
  @Matches(/(Z|[+-]\d\d:\d\d)$/, {
    message: 'at must be an ISO 8601 time with its offset, such as 2026-11-23T10:00:00+01:00',
  })
  @IsISO8601(
    { strict: true },
    { message: 'at must be an ISO 8601 time with its offset, such as 2026-11-23T10:00:00+01:00' },
  )
  at?: string;

  @ApiPropertyOptional({ description: "The agent's group ids, for rule scopes", type: [Number] })
  @IsOptional()
  @IsArray({ message: 'groups must be a list of group ids' })
  @IsInt({ each: true, message: 'groups must be a list of group ids' })
  groups?: number[];
}
