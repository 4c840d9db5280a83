import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { API_BOUNDS } from './api-input.bounds';

/** `GET /api/rules/stats` filters. */
export class RuleStatsQuery {
  @ApiPropertyOptional({ description: 'Only this rule of the live set' })
  @IsOptional()
  @IsString({ message: 'rule must be a rule name' })
  @MaxLength(API_BOUNDS.maxFactNameLength, {
    message: `rule must be a rule name of at most ${API_BOUNDS.maxFactNameLength} characters`,
  })
  rule?: string;
}

/** `GET /api/capacity-rules` filters. */
export class CapacityRulesQuery {
  @ApiPropertyOptional({
    description:
      'true: only the capacity rules the router changed and has not put back; false: only the others',
    enum: ['true', 'false'],
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'changed must be true or false' })
  changed?: 'true' | 'false';
}
