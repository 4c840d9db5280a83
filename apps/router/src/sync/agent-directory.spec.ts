import {
  ZendeskError,
  ZendeskErrorCode,
  type AgentAvailability,
  type ZendeskClient,
  type ZendeskUser,
} from '@app/zendesk';
import { Subject } from 'rxjs';
import type { LiveEvent, LiveEvents } from '../api/live.events';
import type { RouterConfig } from '../config/router.config';
import { AgentDirectory } from './agent-directory';
import { AgentStateCache } from './agent-state.cache';

function anAgent(agentId: number): AgentAvailability {
  return { agentId, status: null, groupIds: [1], skillIds: [], version: 1, channels: [] };
}

function aUser(id: number): ZendeskUser {
  return {
    id,
    name: `Agent ${id}`,
    email: `agent.${id}@example.com`,
    role: 'agent',
    active: true,
    timeZone: 'Berlin',
    ianaTimeZone: 'Europe/Berlin',
  };
}

describe('AgentDirectory', () => {
  let cache: AgentStateCache;
  let events: Subject<LiveEvent>;
  let calls: number[][];
  let failNext: number;
  let directory: AgentDirectory;

  beforeEach(() => {
    cache = new AgentStateCache();
    events = new Subject<LiveEvent>();
    calls = [];
    failNext = 0;
    const client = {
      getUsers: (ids: readonly number[]) => {
        calls.push([...ids]);
        if (failNext > 0) {
          failNext--;
          return Promise.reject(new ZendeskError(ZendeskErrorCode.UNAVAILABLE, 'down'));
        }
        // Zendesk leaves out ids it does not know: here, those above 1,000.
        return Promise.resolve(ids.filter((id) => id <= 1_000).map(aUser));
      },
    } as unknown as ZendeskClient;
    const config = { sync: { usersRefreshS: 3_600 } } as RouterConfig;
    directory = new AgentDirectory(config, client, cache, { events$: events } as unknown as LiveEvents);
  });
  afterEach(() => directory.onApplicationShutdown());

  it('learns every cached agent with show_many calls of at most 100, once', async () => {
    for (let id = 1; id <= 250; id++) cache.applySnapshot(anAgent(id), 0);
    directory.learnNew();
    await directory.idle();
    expect(calls.map((c) => c.length)).toEqual([100, 100, 50]);
    expect(directory.get(250)).toEqual({
      name: 'Agent 250',
      email: 'agent.250@example.com',
      timeZone: 'Europe/Berlin',
      zendeskTimeZone: 'Berlin',
    });
    directory.learnNew();
    await directory.idle();
    expect(calls).toHaveLength(3);
    expect(directory.counts()).toEqual({ known: 250, unknown: 0 });
  });

  it('asks only about agents not seen before, and does not ask again for ids Zendesk lacks', async () => {
    cache.applySnapshot(anAgent(1), 0);
    directory.learnNew();
    await directory.idle();
    cache.applySnapshot(anAgent(2), 0);
    cache.applySnapshot(anAgent(5_000), 0);
    directory.learnNew();
    await directory.idle();
    expect(calls).toEqual([[1], [2, 5_000]]);
    expect(directory.get(5_000)).toBeUndefined();
    directory.learnNew();
    await directory.idle();
    expect(calls).toHaveLength(2);
  });

  it('keeps the batches that were answered and tries the rest again next time', async () => {
    for (let id = 1; id <= 150; id++) cache.applySnapshot(anAgent(id), 0);
    directory.learnNew();
    await directory.idle();
    failNext = 1;
    directory.refreshAll();
    await directory.idle();
    // The refresh failed on its first batch: the names learnt before stay.
    expect(directory.get(1)?.name).toBe('Agent 1');
    expect(directory.counts().unknown).toBe(150);
    directory.learnNew();
    await directory.idle();
    expect(calls.map((c) => c.length)).toEqual([100, 50, 100, 100, 50]);
    expect(directory.counts().unknown).toBe(0);
  });

  it('runs one lookup at a time: a request meanwhile becomes one more lookup after it', async () => {
    for (let id = 1; id <= 3; id++) cache.applySnapshot(anAgent(id), 0);
    directory.learnNew();
    cache.applySnapshot(anAgent(4), 0);
    directory.learnNew();
    directory.learnNew();
    await directory.idle();
    expect(calls).toEqual([[1, 2, 3], [4]]);
  });
});
