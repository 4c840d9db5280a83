import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { API_BOUNDS } from './api-input.bounds';

/** The orders `GET /api/agents` sorts by; `-` first for descending. */
export const AGENT_SORTS = [
  'id',
  '-id',
  'name',
  '-name',
  'status',
  '-status',
  'time_in_status',
  '-time_in_status',
] as const;
export type AgentSort = (typeof AGENT_SORTS)[number];

/** The most agents one page of `GET /api/agents` holds. */
export const MAX_AGENTS_PAGE = 1_000;

/** `GET /api/agents`: filters (all combined), order and page. */
export class AgentsQuery {
  @ApiPropertyOptional({ description: 'Only agents in this group' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'group_id must be a whole number' })
  @Min(1, { message: 'group_id must be a whole number' })
  @Max(Number.MAX_SAFE_INTEGER, { message: 'group_id must be a whole number' })
  group_id?: number;

  @ApiPropertyOptional({ description: 'Only agents in this unified status, by name (online, away, Lunch …)' })
  @IsOptional()
  @IsString({ message: 'status must be a status name' })
  @MaxLength(200, { message: 'status must be a status name of at most 200 characters' })
  status?: string;

  @ApiPropertyOptional({ description: 'Only agents this rule last acted on (applied or shadow)' })
  @IsOptional()
  @IsString({ message: 'rule must be a rule name' })
  @MaxLength(API_BOUNDS.maxFactNameLength, {
    message: `rule must be a rule name of at most ${API_BOUNDS.maxFactNameLength} characters`,
  })
  rule?: string;

  @ApiPropertyOptional({
    description:
      'Only agents the router changed (applied) in the last this many seconds (3600: the last hour)',
    minimum: 1,
    maximum: 604_800,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'changed_within_s must be a whole number of seconds from 1 to 604800' })
  @Min(1, { message: 'changed_within_s must be a whole number of seconds from 1 to 604800' })
  @Max(604_800, { message: 'changed_within_s must be a whole number of seconds from 1 to 604800' })
  changed_within_s?: number;

  @ApiPropertyOptional({
    enum: AGENT_SORTS,
    default: 'id',
    description: 'Order; `-` first for descending. Ties go by id.',
  })
  @IsOptional()
  @IsIn(AGENT_SORTS, { message: `sort must be one of ${AGENT_SORTS.join(', ')}` })
  sort?: AgentSort;

  @ApiPropertyOptional({
    minimum: 0,
    default: 0,
    description: 'Agents to skip (of the filtered, sorted list)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'offset must be a whole number from 0' })
  @Min(0, { message: 'offset must be a whole number from 0' })
  @Max(Number.MAX_SAFE_INTEGER, { message: 'offset must be a whole number from 0' })
  offset?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_AGENTS_PAGE, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: `limit must be a whole number from 1 to ${MAX_AGENTS_PAGE}` })
  @Min(1, { message: `limit must be a whole number from 1 to ${MAX_AGENTS_PAGE}` })
  @Max(MAX_AGENTS_PAGE, { message: `limit must be a whole number from 1 to ${MAX_AGENTS_PAGE}` })
  limit?: number;
}

/** A decision about an agent in the agents list. */
export class AgentDecisionJson {
  @ApiProperty() rule!: string;
  @ApiProperty({ enum: ['applied', 'shadow', 'no_op', 'suppressed', 'failed'] }) outcome!: string;
  @ApiProperty({ description: 'ISO 8601' }) time!: string;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Holds: when the hold ends' }) until!:
    string | null;
}

/** One channel of an agent in the agents list. */
export class AgentChannelJson {
  @ApiProperty({ example: 'messaging' }) name!: string;
  @ApiProperty({ nullable: true, type: String, example: 'online' }) status!: string | null;
  @ApiProperty({ nullable: true, type: String }) updatedAt!: string | null;
  @ApiProperty() workItems!: number;
  @ApiProperty({ nullable: true, type: Number }) capacity!: number | null;
}

/** A `for` timer running for an agent. */
export class PendingTimerJson {
  @ApiProperty() rule!: string;
  @ApiProperty({ description: 'Matching since (ISO 8601)' }) since!: string;
  @ApiProperty({ description: 'Fires then if it still matches (ISO 8601)' }) firesAt!: string;
}

/** One agent in the agents list. */
export class AgentRowJson {
  @ApiProperty() id!: number;
  @ApiProperty({ nullable: true, type: String, description: 'From the Users API; null until known' })
  name!: string | null;
  @ApiProperty({ nullable: true, type: String }) email!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Europe/Berlin' }) timeZone!: string | null;
  @ApiProperty({ type: [Number] }) groupIds!: number[];
  @ApiProperty({ nullable: true, type: String, description: 'Unified status name' }) status!: string | null;
  @ApiProperty({ nullable: true, type: Number }) statusId!: number | null;
  @ApiProperty({ nullable: true, type: String }) statusSince!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Seconds in the unified status' })
  timeInStatusS!: number | null;
  @ApiProperty({ type: [AgentChannelJson] }) channels!: AgentChannelJson[];
  @ApiProperty({
    nullable: true,
    type: AgentDecisionJson,
    description: 'The rule that last acted (applied or shadow)',
  })
  lastAction!: AgentDecisionJson | null;
  @ApiProperty({ nullable: true, type: AgentDecisionJson, description: "The router's last change (applied)" })
  lastChange!: AgentDecisionJson | null;
  @ApiProperty({
    nullable: true,
    type: AgentDecisionJson,
    description: 'A hold in force (suppressed, until)',
  })
  hold!: AgentDecisionJson | null;
  @ApiProperty({ type: [PendingTimerJson] }) pending!: PendingTimerJson[];
}

/** A page of `GET /api/agents`. */
export class AgentsPageJson {
  @ApiProperty({ description: 'Agents matching the filters, on every page' }) total!: number;
  @ApiProperty() offset!: number;
  @ApiProperty() limit!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'The offset of the next page, or null' })
  nextOffset!: number | null;
  @ApiProperty({ description: 'Agents of the account whose names are not known yet' }) namesPending!: number;
  @ApiProperty({ type: [AgentRowJson] }) agents!: AgentRowJson[];
}
