import { Logger } from '@nestjs/common';
import type { DecodeDrop, ZendeskClient, ZendeskClientEvent } from '@app/zendesk';
import { Subject } from 'rxjs';
import { DecodeDropLog } from './decode-drop.log';

const talkMissing = (agentId: number): DecodeDrop => ({
  kind: 'missing_channel',
  path: 'body.data[0].relationships.channels.data[1]',
  agentId,
  channel: 'talk',
  reason: `references channels agent_availabilities|${agentId}|channels|talk, which included does not carry`,
  pattern: 'references channels agent_availabilities|*|channels|talk, which included does not carry',
});
const badStatusId = (agentId: number, index: number): DecodeDrop => ({
  kind: 'malformed_agent',
  path: `body.data[${index}]`,
  agentId,
  channel: null,
  reason: `body.data[${index}].attributes.agent_status.id must be an integer (got string)`,
  pattern: 'body.data[].attributes.agent_status.id must be an integer (got string)',
});

describe('the decode-drop log', () => {
  let events: Subject<ZendeskClientEvent>;
  let log: DecodeDropLog;
  let warn: jest.SpyInstance;
  let debug: jest.SpyInstance;

  const drop = (drop: DecodeDrop, endpoint = 'availability.list') =>
    events.next({ type: 'decode_dropped', endpoint, drop });

  beforeEach(() => {
    events = new Subject();
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    log = new DecodeDropLog({ events$: events.asObservable() } as unknown as ZendeskClient);
    log.onModuleInit();
  });
  afterEach(() => {
    log.onApplicationShutdown();
    jest.restoreAllMocks();
  });

  it('warns once per kind of thing, naming the agent, the member and what it means', () => {
    for (let resync = 0; resync < 3; resync++) {
      for (const agentId of [1, 2, 3]) drop(talkMissing(agentId));
      drop(badStatusId(7, 4));
    }
    expect(warn.mock.calls.map(([line]) => line)).toEqual([
      'Zendesk availability.list answer: agent 1 references channels agent_availabilities|1|channels|talk, which included does not carry (at body.data[0].relationships.channels.data[1]); the agent is kept without that channel. Repeats are counted in router_zendesk_decode_dropped_total, not logged',
      'Zendesk availability.list answer: agent 7 does not decode: body.data[4].attributes.agent_status.id must be an integer (got string); the agent is left out of the router’s view and never acted on. Repeats are counted in router_zendesk_decode_dropped_total, not logged',
    ]);
    expect(debug).toHaveBeenCalledTimes(12 - 2);
  });

  it('tells the same thing on another endpoint, and another malformed member, apart', () => {
    drop(talkMissing(1));
    drop(talkMissing(1), 'availability.show');
    drop(badStatusId(7, 0));
    drop({
      ...badStatusId(8, 1),
      reason: 'body.data[1].attributes.version must be an integer (got string)',
      pattern: 'body.data[].attributes.version must be an integer (got string)',
    });
    expect(warn).toHaveBeenCalledTimes(4);
  });

  it('remembers a bounded number of kinds, and says so once when it stops', () => {
    for (let i = 0; i < 250; i++) drop({ ...talkMissing(1), pattern: `kind ${i}` });
    expect(warn).toHaveBeenCalledTimes(201);
    expect(warn.mock.calls[200]![0]).toContain('more than 200 kinds');
    expect(debug).toHaveBeenCalledTimes(50);
  });

  it('ignores every other client event', () => {
    events.next({ type: 'breaker', state: 'open' });
    expect(warn).not.toHaveBeenCalled();
  });
});
