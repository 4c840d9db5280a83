/** The rules library: rule files, their checking and loading, evaluation with explanations, planning and scenario tests. */
export {
  AGENT_CHANNELS,
  CAPACITY_CHANNELS,
  FACTS,
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
export { RuleSetLoader, readRuleFiles, type RuleSetChange } from './rule-set.loader';
export {
  RuleEvaluator,
  formatExplanation,
  inScope,
  type AgentIdentity,
  type ConditionExplanation,
  type Facts,
  type RuleEvaluation,
} from './rule.evaluator';
export { CompiledRules } from './rule.compiler';
export { RulePlanner, type PlanDecision, type PlannerState } from './rule.planner';
export { runScenario, type ScenarioResult } from './scenario.runner';
export { inCalendar, localTime, parseDuration, type Calendar, type LocalTime } from './time';
/** Reads and checks a scenario test file against a rule set, reporting every problem at its `file:line:column`. */
export { canonical, readScenarioFile, type ScenarioSpec } from './scenario.file';
