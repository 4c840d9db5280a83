/** How long a sent write may take to show up in the cache before the rule may send it again. */
const EXPECTATION_TTL_MS = 30_000;

/**
 * The router's own status writes, one memory per process (a rule reload keeps it): which status
 * the router set on each agent — behind `status.setBy` being `router` rather than `human` — and
 * the writes sent whose events have not arrived yet, so the events that trail a write cannot
 * make a pass send it again.
 */
export class OwnWrites {
  private readonly set = new Map<number, number>();
  private readonly expected = new Map<number, { statusId: number; until: number }>();

  /** Notes a status write Zendesk took. */
  wrote(agentId: number, statusId: number, now: number): void {
    this.set.set(agentId, statusId);
    this.expected.set(agentId, { statusId, until: now + EXPECTATION_TTL_MS });
  }

  /** Whether the agent's status `statusId` is the router's own write. */
  setByRouter(agentId: number, statusId: number | undefined): boolean {
    return statusId !== undefined && this.set.get(agentId) === statusId;
  }

  /** The status the router sent the agent that is not visible yet, if any. */
  inFlight(agentId: number, now: number): number | null {
    const pending = this.expected.get(agentId);
    if (!pending) return null;
    if (now < pending.until) return pending.statusId;
    this.expected.delete(agentId);
    return null;
  }

  /** Forgets an agent that left the account. */
  forget(agentId: number): void {
    this.set.delete(agentId);
    this.expected.delete(agentId);
  }
}
