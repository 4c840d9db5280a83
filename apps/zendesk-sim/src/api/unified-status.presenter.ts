import type { Agent, UnifiedStatus } from '../store/account.model';
import type { StatusJob } from '../store/status-job.registry';
import { isoMicros } from './availability.presenter';

/**
 * The list order of section 10.3: defaults first, then customs, each by name ignoring case. Names
 * compare by UTF-16 code unit after lower-casing rather than `localeCompare`, so the order (and
 * with it every page boundary) does not depend on the host's ICU data; ties go to the lower id.
 */
export function orderStatuses(statuses: readonly UnifiedStatus[]): UnifiedStatus[] {
  const byName = (a: UnifiedStatus, b: UnifiedStatus) => {
    const x = a.name.toLowerCase();
    const y = b.name.toLowerCase();
    return x < y ? -1 : x > y ? 1 : a.id - b.id;
  };
  return [
    ...statuses.filter((s) => s.kind === 'default').sort(byName),
    ...statuses.filter((s) => s.kind === 'custom').sort(byName),
  ];
}

/** One status as the API shows it: defaults carry no channel mapping (10.1), customs do (10.2). */
export function statusJson(status: UnifiedStatus) {
  if (status.kind === 'default') {
    return {
      id: status.id,
      type: 'agent_status',
      attributes: { name: status.name, description: status.description },
    };
  }
  return {
    id: status.id,
    type: 'agent_status',
    updated_at: isoMicros(status.updatedAt),
    attributes: {
      name: status.name,
      description: status.description,
      channels: { ...status.channels },
      group_ids: [...status.groupIds],
    },
  };
}

/** The Unified Agent Status object (10.5) for an agent that has just taken `status`. */
export function agentStatusJson(agent: Agent, status: UnifiedStatus) {
  return {
    data: {
      id: `agent_availabilities|${agent.id}`,
      type: 'agent_availabilities',
      attributes: {
        agent_id: agent.id,
        agent_status: {
          id: status.id,
          name: status.name,
          reason: agent.status.reason,
          updated_at: isoMicros(agent.status.updatedAt),
        },
      },
    },
  };
}

/** A bulk update job (10.6); `url` is where the caller can poll it. */
export function jobStatusJson(job: StatusJob, url: string) {
  return {
    job_status: {
      id: job.id,
      url,
      status: job.status,
      message: job.completedAt === null ? null : `Completed at ${isoSeconds(job.completedAt)}`,
      total: job.agentIds.length,
      progress: job.results.length,
      results: job.results.map((r) => ({
        action: 'update',
        agent_id: r.agentId,
        status: r.status,
        completed_at: isoSeconds(r.completedAt),
        ...(r.error === null ? {} : { error: r.error }),
      })),
    },
  };
}

/** Job times print to the second, as in the job status example of section 10.6. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
