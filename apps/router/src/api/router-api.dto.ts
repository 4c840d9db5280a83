import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import type { DecisionOutcome } from '../audit/audit.store';
import { API_BOUNDS, IsIsoTime, isoTimeExpected } from './api-input.bounds';

/** Decision outcomes, as the audit log records them. */
export const OUTCOMES: readonly DecisionOutcome[] = ['applied', 'shadow', 'no_op', 'suppressed', 'failed'];

/** `GET /api/decisions` filters; all optional, all combined. */
export class DecisionsQuery {
  @ApiPropertyOptional({ description: 'Only this agent' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'agent_id must be a whole number' })
  @Min(1, { message: 'agent_id must be a whole number' })
  @Max(Number.MAX_SAFE_INTEGER, { message: 'agent_id must be a whole number' })
  agent_id?: number;

  @ApiPropertyOptional({ description: 'Only this rule' })
  @IsOptional()
  @IsString()
  @MaxLength(API_BOUNDS.maxFactNameLength, {
    message: `rule must be a rule name of at most ${API_BOUNDS.maxFactNameLength} characters`,
  })
  rule?: string;

  @ApiPropertyOptional({ enum: OUTCOMES })
  @IsOptional()
  @IsIn(OUTCOMES, { message: `outcome must be one of ${OUTCOMES.join(', ')}` })
  outcome?: DecisionOutcome;

  @ApiPropertyOptional({
    description:
      'From this time, inclusive: ISO 8601 with its offset (2026-11-23T10:00:00Z, 2026-11-23T10:00:00+01:00) or a date (2026-11-23, UTC)',
  })
  @IsOptional()
  @IsIsoTime({ dateOnly: true })
  from?: string;

  @ApiPropertyOptional({ description: 'Up to this time, exclusive; the same forms as from' })
  @IsOptional()
  @IsIsoTime({ dateOnly: true })
  to?: string;

  @ApiPropertyOptional({
    description: 'Continue after this decision id (the next_before of the previous page)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'before must be a whole number' })
  @Min(1, { message: 'before must be a whole number' })
  @Max(Number.MAX_SAFE_INTEGER, { message: 'before must be a whole number' })
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
  @IsIsoTime({ dateOnly: false }, { message: `at must be ${isoTimeExpected({ dateOnly: false })}` })
  at?: string;

  @ApiPropertyOptional({ description: "The agent's group ids, for rule scopes", type: [Number] })
  @IsOptional()
  @IsArray({ message: 'groups must be a list of group ids' })
  @ArrayMaxSize(API_BOUNDS.maxListLength, {
    message: `groups must be a list of at most ${API_BOUNDS.maxListLength} group ids`,
  })
  @IsInt({ each: true, message: 'groups must be a list of group ids' })
  groups?: number[];
}

/** The longest reason a pause or resume may carry. */
export const MAX_PAUSE_REASON_LENGTH = 500;

/** `POST /api/pause` and `POST /api/resume`: why, for the audit log. */
export class PauseRequest {
  @ApiPropertyOptional({
    description: `Why, for the audit log: one line of at most ${MAX_PAUSE_REASON_LENGTH} characters`,
    example: 'Zendesk incident: statuses are being changed by hand',
    maxLength: MAX_PAUSE_REASON_LENGTH,
  })
  @IsOptional()
  @IsString({ message: 'reason must be a string' })
  @MaxLength(MAX_PAUSE_REASON_LENGTH, {
    message: `reason must be at most ${MAX_PAUSE_REASON_LENGTH} characters`,
  })
  @Matches(/^[^\p{Cc}]*$/u, { message: 'reason must be one line without control characters' })
  reason?: string;
}
