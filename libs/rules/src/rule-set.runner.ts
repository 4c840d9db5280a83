import { ACTIONS, ACTION_TYPES, actionTarget, describeAction } from './actions/action.registry';
import type { ActionOf, ActionType, RuleAction } from './actions/action.types';
import { DecisionMemory } from './decision.memory';
import { paperExecutors } from './paper.executors';
import type { Rule, RuleSet } from './rule-set.model';
import { CompiledRules } from './rule.compiler';
import {
  RuleEvaluator,
  timeFactsOf,
  type AgentIdentity,
  type ConditionExplanation,
  type Facts,
  type RuleEvaluation,
} from './rule.evaluator';
import { RulePlanner, type PlanDecision } from './rule.planner';
import type { GatedChange, Hold, SafetyGate } from './safety.gate';

/** One target as the runner sees it: what it is and what the gate and shadow records need. */
export interface TargetState {
  /** `agent:<id>` or `capacity:<name>`. */
  target: string;
  /** The agent, for agent targets: its facts feed the human hold, its groups the group minimum. */
  agent: (AgentIdentity & { facts: Facts }) | null;
  /**
   * Identifies the target's state now (an agent's version, a capacity rule's capacities): a
   * shadow decision is recorded again only once it changed, as an enforced one would act again
   * only after the target changed back.
   */
  stateKey: string;
}

/** What an executor found before anything is sent. */
export type Inspection =
  /** The change is needed; `leavesOnline` when it takes an agent out of online (the group minimum). */
  | { kind: 'needed'; leavesOnline: boolean }
  /** The target already is as asked. */
  | { kind: 'no_op'; reason: string }
  /** Our own change is on its way and not visible yet: do not send it again. */
  | { kind: 'in_flight' }
  /** It cannot be done on this account (a status or capacity rule it does not have). */
  | { kind: 'invalid'; reason: string };

/** How carrying a change out ended; null when it was cancelled (its fate is settled elsewhere). */
export type Applied = { ok: boolean; reason: string } | null;

/** Carries out one action type in one world (the router against Zendesk, a scenario on paper). */
export interface ActionExecutor<T extends ActionType> {
  inspect(target: TargetState, action: ActionOf<T>): Inspection;
  apply(target: TargetState, action: ActionOf<T>, rule: Rule): Promise<Applied>;
  /** Puts a reversible change back; `shadow` only says what it would do. */
  revert?(target: TargetState, ruleName: string, shadow: boolean): Promise<Applied>;
}

/** One executor per action type: the compiler names every world that lacks one. */
export type ActionExecutors = { readonly [T in ActionType]: ActionExecutor<T> };

/** How a recorded decision ended. */
export type Outcome = 'applied' | 'shadow' | 'no_op' | 'suppressed' | 'failed';

/** A decision worth a record. */
export interface Decided {
  target: string;
  /** The rule, or null when its change is put back after the rule left the set. */
  rule: Rule | null;
  ruleName: string;
  /** As the audit log writes it: `{ set_status: "away" }`, `{ revert: "Default capacity" }`. */
  action: Record<string, unknown>;
  outcome: Outcome;
  reason: string;
  /** Held decisions: when the hold ends, if known. */
  until: number | null;
  /** The rule's own decision was in shadow mode (rule mode or enforcement off). */
  shadow: boolean;
}

/** Everything that outlives one pass and one rule set: the runner's inputs. */
export interface RunnerDeps {
  planner: RulePlanner;
  memory: DecisionMemory;
  gate: SafetyGate;
  executors: ActionExecutors;
  /** Off: every decision is recorded as shadow, nothing is carried out. */
  enforce: boolean;
}

/** Where a rule stands for a target now, as `explain` shows it. */
export type RuleStanding =
  | { state: 'disabled' }
  | { state: 'out_of_scope' }
  | { state: 'not_matched' }
  | { state: 'pending'; since: number; firesAt: number }
  | { state: 'cooldown'; until: number }
  | { state: 'outranked'; by: string }
  | { state: 'kept'; until: number | null }
  | { state: 'held'; hold: Hold['kind']; reason: string; until: number | null }
  | { state: 'no_op'; reason: string }
  | { state: 'in_flight' }
  | { state: 'invalid'; reason: string }
  | { state: 'fires'; shadow: boolean };

/** Every standing a rule can have, with what it means (the rule author's guide has one row each). */
export const STANDINGS: { readonly [S in RuleStanding['state']]: string } = {
  fires: 'it would act now (or be recorded in shadow)',
  pending: 'it matches and waits for its `for`',
  cooldown: 'it fired for this target less than `cooldown` ago',
  outranked: 'a higher-priority rule wins for this target',
  held: 'a safety limit holds it back',
  kept: 'its condition ended; its reversible change stays',
  no_op: 'the target already is as asked',
  in_flight: "the router's own change is on its way, or in place",
  invalid: 'the account lacks what it names',
  not_matched: 'its condition does not hold',
  out_of_scope: 'the rule does not cover this agent',
  disabled: '`enabled: false`',
};

/** One rule explained for one target: its conditions and the planner's view. */
export interface RuleExplanation {
  rule: Rule;
  applies: boolean;
  matched: boolean;
  explanation: ConditionExplanation | null;
  releaseExplanation?: ConditionExplanation | null;
  standing: RuleStanding;
  /** In shadow: by the rule's mode, or because enforcement is off. */
  shadow: boolean;
}

/**
 * The one decision path: evaluate a rule set, then plan and carry out per target, with the clock
 * and the safety limits as inputs. The router's passes, shadow mode (the enforce path with the
 * write replaced by a record), `explain` and the scenario tests all go through it, so what they
 * say is the same thing.
 */
export class RuleSetRunner {
  private readonly agentRules: CompiledRules;
  private readonly accountRules: CompiledRules;
  private readonly agentReleases: CompiledRules;
  private readonly accountReleases: CompiledRules;
  /** The reference engine: explanations of what is recorded, and `explain`. */
  readonly evaluator: RuleEvaluator;

  constructor(readonly ruleSet: RuleSet) {
    this.agentRules = new CompiledRules(ruleSet, 'agent');
    this.accountRules = new CompiledRules(ruleSet, 'account');
    const releases: RuleSet = {
      ...ruleSet,
      // Each rule's release condition in its place; rules without one never match here.
      rules: ruleSet.rules.map((r) =>
        r.release ? { ...r, when: r.release, release: null } : { ...r, enabled: false },
      ),
    };
    this.agentReleases = new CompiledRules(releases, 'agent');
    this.accountReleases = new CompiledRules(releases, 'account');
    this.evaluator = new RuleEvaluator(ruleSet);
  }

  /** The time and calendar facts for `now`, once per pass. */
  timeFacts(now: number): Record<string, unknown> {
    return timeFactsOf(this.ruleSet, now);
  }

  /**
   * Every agent rule for one agent, matched by the compiled rules (no explanations). Given
   * `previous` (this agent's last matches, its state unchanged since) only the rules that move
   * with the clock are evaluated again.
   */
  evaluateAgent(
    agent: AgentIdentity,
    facts: Facts,
    time: Facts,
    previous?: readonly boolean[],
  ): RuleEvaluation[] {
    return this.withReleases(
      this.agentRules.evaluate(facts, time, agent, previous),
      this.agentReleases,
      facts,
      time,
    );
  }

  /** Every account rule, matched by the compiled rules (no explanations). */
  evaluateAccount(facts: Facts, time: Facts): RuleEvaluation[] {
    return this.withReleases(this.accountRules.evaluate(facts, time), this.accountReleases, facts, time);
  }

  /** The account rules' evaluations by the target each acts on, plus targets with a change in force. */
  accountTargets(
    evaluations: readonly RuleEvaluation[],
    planner: RulePlanner,
  ): Map<string, RuleEvaluation[]> {
    const byTarget = new Map<string, RuleEvaluation[]>();
    for (const evaluation of evaluations) {
      const target = actionTarget(evaluation.rule.then, null);
      byTarget.set(target, [...(byTarget.get(target) ?? []), evaluation]);
    }
    // A change whose rules are all gone is still planned: it is put back.
    for (const target of planner.targetsWithChanges())
      if (!target.startsWith('agent:') && !byTarget.has(target)) byTarget.set(target, []);
    return byTarget;
  }

  /**
   * Plans one target and carries its decisions out through the gate and the executors. A held
   * decision consumes neither `for` nor cooldown and is recorded once, with why and until when.
   */
  async decide(
    state: TargetState,
    evaluations: readonly RuleEvaluation[],
    now: number,
    deps: RunnerDeps,
  ): Promise<Decided[]> {
    for (const e of evaluations) if (!e.matched) deps.memory.forgetRule(state.target, e.rule.name);
    const decided: Decided[] = [];
    for (const decision of deps.planner.plan(state.target, evaluations, now)) {
      const result =
        decision.kind === 'fire'
          ? await this.fire(state, decision, now, deps)
          : decision.kind === 'revert'
            ? await this.revert(state, decision, now, deps)
            : null;
      if (result) decided.push(result);
    }
    return decided;
  }

  /**
   * Every rule for one target with its conditions (from the reference engine) and where the
   * planner stands, without changing anything: what `decide` would do now, and why.
   */
  explainTarget(
    state: TargetState,
    explained: readonly RuleEvaluation[],
    now: number,
    deps: RunnerDeps,
  ): RuleExplanation[] {
    const decisions = deps.planner.plan(state.target, explained, now, { dryRun: true });
    return explained.map((evaluation) => {
      const rule = evaluation.rule;
      const shadow = rule.mode === 'shadow' || !deps.enforce;
      const standing = this.standing(state, evaluation, decisions, now, deps, shadow);
      return {
        rule,
        applies: evaluation.applies,
        matched: evaluation.matched,
        explanation: evaluation.explanation,
        ...(rule.release ? { releaseExplanation: evaluation.releaseExplanation ?? null } : {}),
        standing,
        shadow,
      };
    });
  }

  /**
   * What the rules say about facts someone supplies, at time `at` (what-if): the same
   * evaluation, planning and gate as a live target, with a fresh planner (no history: a rule with
   * `for` shows when it would fire) and executors that change nothing. Agent rules see `agent`
   * (id and groups); account rules are explained per capacity rule they act on.
   */
  async whatIf(
    input: { scope: 'agent' | 'account'; facts: Facts; agent: AgentIdentity; at: number },
    live: Pick<RunnerDeps, 'gate' | 'enforce'>,
  ): Promise<Array<{ target: string; rules: RuleExplanation[] }>> {
    const deps: RunnerDeps = {
      ...live,
      planner: new RulePlanner(),
      memory: new DecisionMemory(),
      executors: paperExecutors(),
    };
    if (input.scope === 'agent') {
      const facts = { ...input.facts, 'agent.id': input.agent.id, 'agent.groups': input.agent.groups };
      const state: TargetState = {
        target: `agent:${input.agent.id}`,
        agent: { ...input.agent, facts },
        stateKey: 'what-if',
      };
      const explained = await this.evaluator.evaluateAgent(input.agent, facts, input.at);
      return [{ target: state.target, rules: this.explainTarget(state, explained, input.at, deps) }];
    }
    const explained = await this.evaluator.evaluateAccount(input.facts, input.at);
    return [...this.accountTargets(explained, deps.planner)].map(([target, evaluations]) => ({
      target,
      rules: this.explainTarget({ target, agent: null, stateKey: 'what-if' }, evaluations, input.at, deps),
    }));
  }

  private standing(
    state: TargetState,
    evaluation: RuleEvaluation,
    decisions: readonly PlanDecision[],
    now: number,
    deps: RunnerDeps,
    shadow: boolean,
  ): RuleStanding {
    const rule = evaluation.rule;
    if (!rule.enabled) return { state: 'disabled' };
    if (!evaluation.applies) return { state: 'out_of_scope' };
    const decision = decisions.find((d) => d.kind !== 'revert' && d.rule.name === rule.name);
    switch (decision?.kind) {
      case undefined:
      case 'revert':
        return { state: 'not_matched' };
      case 'pending':
        return { state: 'pending', since: decision.since, firesAt: decision.readyAt };
      case 'cooldown':
        return { state: 'cooldown', until: decision.until };
      case 'outranked':
        return { state: 'outranked', by: decision.by.name };
      case 'keep':
        return { state: 'kept', until: decision.until };
      case 'fire': {
        const inspection = this.inspect(state, decision.action, deps);
        switch (inspection.kind) {
          case 'no_op':
          case 'invalid':
            return { state: inspection.kind, reason: inspection.reason };
          case 'in_flight':
            return { state: 'in_flight' };
          case 'needed':
            break;
        }
        const hold = deps.gate.check(this.change(state, decision.action, inspection, shadow), now);
        if (hold) return { state: 'held', hold: hold.kind, reason: hold.reason, until: hold.until };
        return { state: 'fires', shadow };
      }
    }
  }

  private async fire(
    state: TargetState,
    decision: Extract<PlanDecision, { kind: 'fire' }>,
    now: number,
    deps: RunnerDeps,
  ): Promise<Decided | null> {
    const { rule, action } = decision;
    const shadow = decision.shadow || !deps.enforce;
    const base = { target: state.target, rule, ruleName: rule.name, action: describeAction(action), shadow };
    const news = (signature: string) => deps.memory.isNews(state.target, rule.name, signature);
    const inspection = this.inspect(state, action, deps);
    switch (inspection.kind) {
      case 'in_flight':
        return null;
      case 'invalid':
        return news('invalid')
          ? { ...base, outcome: 'failed', reason: inspection.reason, until: null }
          : null;
      case 'no_op':
        // A reversible change its own rule keeps asking for is in force, not news.
        if (deps.planner.changeOn(state.target)?.rule === rule.name) return null;
        return news('no_op') ? { ...base, outcome: 'no_op', reason: inspection.reason, until: null } : null;
      case 'needed':
        break;
    }
    // Recorded in shadow for the target as it is now: as an enforced change in place, not news.
    if (shadow && deps.memory.recorded(state.target, rule.name, `shadow:${state.stateKey}`)) return null;
    const change = this.change(state, action, inspection, shadow);
    const hold = deps.gate.check(change, now);
    if (hold) {
      if (!deps.memory.isNewHold(state.target, rule.name, hold.kind)) return null;
      const reason = shadow ? `${hold.reason} (in shadow: enforcement would wait too)` : hold.reason;
      return { ...base, outcome: 'suppressed', reason, until: hold.until };
    }
    if (shadow) {
      news(`shadow:${state.stateKey}`);
      deps.planner.fired(state.target, rule, now);
      deps.gate.note(change, now);
      const why = decision.shadow ? 'the rule is in shadow mode' : 'enforcement is off';
      return { ...base, outcome: 'shadow', reason: why, until: null };
    }
    const applied = await this.executorOf(action.type, deps).apply(state, action, rule);
    if (!applied) return null;
    if (!applied.ok) return { ...base, outcome: 'failed', reason: applied.reason, until: null };
    deps.memory.forgetRule(state.target, rule.name);
    deps.planner.fired(state.target, rule, now);
    deps.gate.note(change, now);
    return { ...base, outcome: 'applied', reason: applied.reason, until: null };
  }

  private async revert(
    state: TargetState,
    decision: Extract<PlanDecision, { kind: 'revert' }>,
    now: number,
    deps: RunnerDeps,
  ): Promise<Decided | null> {
    const shadow = decision.shadow || !deps.enforce;
    const capacityRule = state.target.slice(state.target.indexOf(':') + 1);
    const base = {
      target: state.target,
      rule: decision.rule,
      ruleName: decision.ruleName,
      action: { revert: capacityRule },
      shadow,
    };
    const type = decision.rule?.then.type ?? actionTypeOfTarget(state.target);
    const executor = this.executorOf(type, deps);
    if (!executor.revert) throw new Error(`no way to put back a ${type} change`);
    const hold = deps.gate.check(
      {
        target: state.target,
        stateKey: state.stateKey,
        agent: null,
        leavesOnline: false,
        checks: ACTIONS[type].safety,
        shadow,
      },
      now,
    );
    if (hold) {
      if (!deps.memory.isNewHold(state.target, `revert:${decision.ruleName}`, hold.kind)) return null;
      return { ...base, outcome: 'suppressed', reason: `${decision.why}; ${hold.reason}`, until: hold.until };
    }
    const applied = await executor.revert(state, decision.ruleName, shadow);
    if (!applied) return null;
    deps.memory.forgetRule(state.target, `revert:${decision.ruleName}`);
    if (!applied.ok)
      return { ...base, outcome: 'failed', reason: `${decision.why}; ${applied.reason}`, until: null };
    deps.planner.reverted(state.target, decision);
    return {
      ...base,
      outcome: shadow ? 'shadow' : 'applied',
      reason: `${decision.why}; ${applied.reason}`,
      until: null,
    };
  }

  private inspect(state: TargetState, action: RuleAction, deps: RunnerDeps): Inspection {
    return this.executorOf(action.type, deps).inspect(state, action);
  }

  private change(
    state: TargetState,
    action: RuleAction,
    inspection: Inspection,
    shadow: boolean,
  ): GatedChange {
    return {
      target: state.target,
      stateKey: state.stateKey,
      agent: state.agent,
      leavesOnline: inspection.kind === 'needed' && inspection.leavesOnline,
      checks: ACTIONS[action.type].safety,
      shadow,
    };
  }

  /** The executor of one action type, seen as one taking any action (the map pairs them by type). */
  private executorOf(type: ActionType, deps: RunnerDeps): ActionExecutor<ActionType> {
    return deps.executors[type] as unknown as ActionExecutor<ActionType>;
  }

  private withReleases(
    evaluations: RuleEvaluation[],
    releases: CompiledRules,
    facts: Facts,
    time: Facts,
  ): RuleEvaluation[] {
    if (!evaluations.some((e) => e.rule.release)) return evaluations;
    const released = releases.match(facts, time);
    evaluations.forEach((e, i) => {
      if (e.rule.release) e.released = e.applies && released[i]!;
    });
    return evaluations;
  }
}

/** Where a rule stands, as a person reads it: "waiting for its for since …", "held: …". */
export function describeStanding(standing: RuleStanding): string {
  const at = (ms: number | null) => (ms === null ? 'further notice' : new Date(ms).toISOString());
  switch (standing.state) {
    case 'pending':
      return `waiting for its for since ${at(standing.since)}, fires at ${at(standing.firesAt)}`;
    case 'cooldown':
      return `in cooldown until ${at(standing.until)}`;
    case 'outranked':
      return `outranked by ${standing.by}`;
    case 'kept':
      return `its change is kept until ${at(standing.until)}`;
    case 'held':
      return `held: ${standing.reason}`;
    case 'no_op':
    case 'invalid':
      return `${standing.state}: ${standing.reason}`;
    case 'fires':
      return standing.shadow ? 'fires (shadow)' : 'fires';
    case 'disabled':
      return 'disabled';
    case 'out_of_scope':
      return 'out of scope: the rule does not cover this agent';
    case 'not_matched':
      return 'does not match';
    case 'in_flight':
      return 'its change is on its way';
  }
}

/** The reversible action type whose changes a target holds, for a put-back whose rule has left the set. */
function actionTypeOfTarget(target: string): ActionType {
  const type = ACTION_TYPES.find(
    (t) => ACTIONS[t].reversible && target.startsWith(`${ACTIONS[t].targetKind}:`),
  );
  if (!type) throw new Error(`no reversible action acts on ${target}`);
  return type;
}
