import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Socket } from 'node:net';
import { SimClock } from '../clock/sim.clock';
import { Prng } from '../store/prng';

export const FAULT_TYPES = ['latency', 'error', 'timeout', 'outage', 'rate_limit', 'drop_webhooks'] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

/** What a fault does; see `apps/zendesk-sim/README.md` for the control API that sets them. */
export type FaultEffect =
  | { type: 'latency'; ms: number; jitterMs: number }
  | { type: 'error'; status: number }
  | { type: 'timeout'; holdMs: number }
  | { type: 'outage'; mode: 'reset' | 'unavailable' }
  | { type: 'rate_limit'; retryAfterS: number }
  | { type: 'drop_webhooks' };

/** Which requests a fault touches and for how long. */
export interface FaultScope {
  /** Only paths starting with this (e.g. `/api/v2/capacity`); all Zendesk paths when absent. */
  pathPrefix: string | null;
  method: string | null;
  /** Chance that a matching request is affected. */
  probability: number;
  /** Affected requests left; null for unlimited. */
  remaining: number | null;
  /** Simulator time at which the fault ends by itself; null for never. */
  until: number | null;
}

export interface Fault {
  readonly id: number;
  readonly effect: FaultEffect;
  readonly scope: FaultScope;
  /** Requests (or webhook deliveries) this fault has affected so far. */
  hits: number;
}

/** What to do to one request: an added delay and at most one failure. */
export interface RequestFaultPlan {
  delayMs: number;
  failure: Exclude<FaultEffect, { type: 'latency' } | { type: 'drop_webhooks' }> | null;
}

/** Which failure wins when several apply: the most drastic one. */
const PRECEDENCE: Record<FaultType, number> = {
  outage: 0,
  timeout: 1,
  error: 2,
  rate_limit: 3,
  latency: 4,
  drop_webhooks: 5,
};

/**
 * Faults switched on through the control API. Each applies to matching requests until its count
 * or duration runs out or it is removed; a request can get added latency and one failure.
 */
@Injectable()
export class FaultInjector implements OnApplicationShutdown {
  private faults: Fault[] = [];
  private nextId = 1;
  private prng = new Prng(7);
  private readonly held = new Set<Socket>();

  constructor(private readonly clock: SimClock) {}

  add(effect: FaultEffect, scope: FaultScope): Fault {
    const fault: Fault = { id: this.nextId++, effect, scope, hits: 0 };
    this.faults.push(fault);
    return fault;
  }

  list(): readonly Fault[] {
    this.expire();
    return this.faults;
  }

  remove(id: number): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  clear(seed = 7): void {
    this.faults = [];
    this.prng = new Prng(seed);
  }

  /** Decides what happens to one request to the Zendesk API. */
  planRequest(method: string, path: string): RequestFaultPlan {
    const plan: RequestFaultPlan = { delayMs: 0, failure: null };
    for (const fault of this.take(
      (f) => f.effect.type !== 'drop_webhooks' && this.matches(f, method, path),
    )) {
      const effect = fault.effect;
      if (effect.type === 'latency') {
        plan.delayMs += effect.ms + (effect.jitterMs > 0 ? this.prng.int(0, effect.jitterMs) : 0);
      } else if (effect.type !== 'drop_webhooks') {
        if (!plan.failure || PRECEDENCE[effect.type] < PRECEDENCE[plan.failure.type]) plan.failure = effect;
      }
    }
    return plan;
  }

  /** Whether the next webhook delivery attempt is dropped (never sent). */
  dropWebhook(): boolean {
    return this.take((f) => f.effect.type === 'drop_webhooks').length > 0;
  }

  /** Keeps a connection open without answering, then drops it (a server that stopped responding). */
  hold(socket: Socket, ms: number): void {
    this.held.add(socket);
    const timer = setTimeout(() => this.release(socket), ms);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      this.held.delete(socket);
    });
  }

  onApplicationShutdown(): void {
    for (const socket of this.held) this.release(socket);
  }

  private release(socket: Socket): void {
    this.held.delete(socket);
    socket.destroy();
  }

  private matches(fault: Fault, method: string, path: string): boolean {
    const { pathPrefix, method: onlyMethod } = fault.scope;
    return (
      (!pathPrefix || path.startsWith(pathPrefix)) && (!onlyMethod || onlyMethod === method.toUpperCase())
    );
  }

  /** The live faults among `candidates` that fire for this request, with their counts used up. */
  private take(candidate: (f: Fault) => boolean): Fault[] {
    this.expire();
    const fired: Fault[] = [];
    for (const fault of this.faults) {
      if (!candidate(fault)) continue;
      if (fault.scope.probability < 1 && !this.prng.chance(fault.scope.probability)) continue;
      fault.hits += 1;
      if (fault.scope.remaining !== null) fault.scope.remaining -= 1;
      fired.push(fault);
    }
    this.faults = this.faults.filter((f) => f.scope.remaining === null || f.scope.remaining > 0);
    return fired;
  }

  private expire(): void {
    const now = this.clock.now();
    this.faults = this.faults.filter((f) => f.scope.until === null || f.scope.until > now);
  }
}
