import { ACTIONS, ACTION_TYPES } from './actions/action.registry';
import { FACTS, WEEKDAYS } from './facts';
import { OPERATORS } from './operators';

const DURATION = '^(\\d+d)?(\\d+h)?(\\d+m)?(\\d+s)?$';
const CLOCK = '^([01]\\d|2[0-4]):[0-5]\\d$';
const NAME = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';

/**
 * The JSON Schema of a rule file, generated from the fact catalogue and the operators, so editors
 * complete fact and operator names as they are typed. `rules check` goes further (value types,
 * unknown statuses and calendars, conflicts); the schema is for typing, the checker for trusting.
 */
export function ruleFileSchema(): Record<string, unknown> {
  const ids = { type: 'array', items: { type: 'integer', minimum: 1 } };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://availability-router.local/rules/schema.json',
    title: 'Availability Router rule file',
    type: 'object',
    additionalProperties: false,
    properties: {
      timezone: {
        type: 'string',
        description: 'IANA time zone for localTime.* facts and calendars, e.g. Europe/Berlin.',
      },
      statuses: {
        type: 'array',
        items: { type: 'string' },
        description: "The account's custom unified status names.",
      },
      calendars: { type: 'object', additionalProperties: { $ref: '#/definitions/calendar' } },
      rules: { type: 'array', items: { $ref: '#/definitions/rule' } },
    },
    definitions: {
      calendar: {
        type: 'object',
        additionalProperties: false,
        required: ['weekly'],
        properties: {
          weekly: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['days', 'from', 'to'],
              properties: {
                days: { type: 'array', items: { enum: [...WEEKDAYS] } },
                from: { type: 'string', pattern: CLOCK },
                to: { type: 'string', pattern: CLOCK },
              },
            },
          },
          holidays: { type: 'array', items: { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\d$' } },
        },
      },
      rule: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'when', 'then'],
        properties: {
          name: { type: 'string', pattern: NAME },
          description: { type: 'string' },
          enabled: { type: 'boolean', default: true },
          mode: { enum: ['enforce', 'shadow'], default: 'enforce' },
          priority: { type: 'integer', minimum: -1000, maximum: 1000, default: 0 },
          for: {
            type: 'string',
            pattern: DURATION,
            description: 'How long the condition must hold before the rule fires.',
          },
          cooldown: {
            type: 'string',
            pattern: DURATION,
            description: 'The least time between two firings for one target.',
          },
          scope: {
            type: 'object',
            additionalProperties: false,
            properties: {
              groups: ids,
              agents: ids,
              exclude: {
                type: 'object',
                additionalProperties: false,
                properties: { groups: ids, agents: ids },
              },
            },
          },
          keepFor: {
            type: 'string',
            pattern: DURATION,
            description: 'Reversible actions: how long the change stays after the condition stops matching.',
          },
          release: {
            $ref: '#/definitions/condition',
            description: 'Reversible actions: the change stays until this condition matches.',
          },
          when: { $ref: '#/definitions/condition' },
          then: {
            oneOf: ACTION_TYPES.map((type) => ({
              type: 'object',
              additionalProperties: false,
              required: [type],
              description: ACTIONS[type].description,
              properties: { [type]: ACTIONS[type].schema },
            })),
          },
        },
      },
      condition: {
        oneOf: [
          {
            type: 'object',
            additionalProperties: false,
            required: ['all'],
            properties: { all: { type: 'array', minItems: 1, items: { $ref: '#/definitions/condition' } } },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['any'],
            properties: { any: { type: 'array', minItems: 1, items: { $ref: '#/definitions/condition' } } },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['not'],
            properties: { not: { $ref: '#/definitions/condition' } },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['fact', 'operator', 'value'],
            properties: {
              fact: {
                anyOf: [
                  {
                    enum: FACTS.map((f) => f.name),
                    markdownEnumDescriptions: FACTS.map((f) => f.description),
                  },
                  { type: 'string', pattern: '^calendar\\.' },
                ],
              },
              operator: {
                enum: [...OPERATORS.keys()],
                markdownEnumDescriptions: [...OPERATORS.values()].map((o) => o.description),
              },
              value: {},
              params: { type: 'object' },
            },
          },
        ],
      },
    },
  };
}
