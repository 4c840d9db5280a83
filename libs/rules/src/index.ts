/** The rules library: rule files, their checking and loading, evaluation with explanations, planning and scenario tests. */
export {
  AGENT_CHANNELS,
  CAPACITY_CHANNELS,
  FACTS,
  HUMAN_STATUS_REASONS,
  LOCAL_TIME_FACTS,
  factDefinition,
  type FactDefinition,
  type FactScope,
  type FactType,
} from './facts';
export { CUSTOM_OPERATORS, OPERATORS, type OperatorDefinition } from './operators';
export { RuleSetError, formatProblem, type RuleSetProblem } from './rule-set.errors';
export {
  DEFAULT_STATUSES,
  type Condition,
  type Rule,
  type RuleAction,
  type RuleScope,
  type RuleSet,
  type SourcePosition,
} from './rule-set.model';
export { parseRuleSet, revisionOf, type RuleFile } from './rule-set.parser';
/** Problems for every status and capacity rule a rule set names that the Zendesk account lacks. */
export { checkAgainstAccount, type AccountNames } from './account-fit';
export { ruleFileSchema } from './rule-file.schema';
export {
  RuleSetLoader,
  readRuleFiles,
  type RuleSetChange,
  type RuleSetLoaderOptions,
} from './rule-set.loader';
/** How big a rule set may be: file size, rule counts, nesting, string lengths, YAML aliases. */
export { DEFAULT_RULE_LIMITS, type RuleLimits } from './rule-set.limits';
export {
  RuleEvaluator,
  formatExplanation,
  inScope,
  timeFactsOf,
  type AgentIdentity,
  type ConditionExplanation,
  type Facts,
  type RuleEvaluation,
} from './rule.evaluator';
export { CompiledRules } from './rule.compiler';
export { RulePlanner, type ChangeInForce, type PlanDecision, type PlannerState } from './rule.planner';
/** The action registry: every action type with its parser, schema, target and safety limits. */
export { ACTIONS, ACTION_TYPES, actionTarget, describeAction } from './actions/action.registry';
export type {
  ActionDefinition,
  ActionOf,
  ActionType,
  SafetyCheck,
  SetCapacityAction,
  SetStatusAction,
} from './actions/action.types';
/** The one decision path: evaluate, plan per target, carry out through the gate and the executors. */
export {
  RuleSetRunner,
  STANDINGS,
  describeStanding,
  type ActionExecutor,
  type ActionExecutors,
  type Applied,
  type Decided,
  type Inspection,
  type Outcome,
  type RuleExplanation,
  type RuleStanding,
  type RunnerDeps,
  type TargetState,
} from './rule-set.runner';
/** The safety limits as one gate: pause, human hold, per-minute limit, group minimum. */
export { SafetyGate, type GatedChange, type Hold, type SafetyLimits } from './safety.gate';
/** Why a supplied fact value (what-if, scenario timeline) cannot be taken, by name and type. */
export { givenFactProblem } from './fact-values';
/** Executors that change nothing and read a target's state from its facts (scenarios, what-if). */
export { paperExecutors } from './paper.executors';
/** What was last recorded per target and rule, so decisions that do not act are recorded once. */
export { DecisionMemory } from './decision.memory';
export { runScenario, type ScenarioResult } from './scenario.runner';
export { inCalendar, localTime, parseDuration, type Calendar, type LocalTime } from './time';
/** Reads and checks a scenario test file against a rule set, reporting every problem at its `file:line:column`. */
export { canonical, readScenarioFile, type ScenarioSpec } from './scenario.file';
