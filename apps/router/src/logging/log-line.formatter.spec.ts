import { formatLogLine } from './log-line.formatter';

const at = new Date(2026, 10, 23, 10, 4, 5, 67).getTime();
const line = (record: object) => `${JSON.stringify({ pid: 1, hostname: 'h', time: at, ...record })}\n`;

describe('formatLogLine', () => {
  it('writes local time, level, context and message, then the fields the message does not say', () => {
    expect(
      formatLogLine(line({ level: 30, context: 'Rules', msg: 'Loaded 3 rules', files: 2 }), {
        colour: false,
      }),
    ).toBe('10:04:05.067 INFO  [Rules] Loaded 3 rules files=2\n');
  });

  it('leaves out an access line’s request and response, and a change line’s decision', () => {
    const access = line({
      level: 20,
      reqId: 4,
      req: { method: 'POST', url: '/webhooks/zendesk' },
      res: { statusCode: 200 },
      responseTime: 3,
      msg: 'POST /webhooks/zendesk 200 3ms',
    });
    expect(formatLogLine(access, { colour: false })).toBe(
      '10:04:05.067 DEBUG POST /webhooks/zendesk 200 3ms\n',
    );
    const change = line({ level: 30, context: 'Changes', msg: 'Applied: agent:7', decision: { rule: 'r' } });
    expect(formatLogLine(change, { colour: false })).toBe('10:04:05.067 INFO  [Changes] Applied: agent:7\n');
  });

  it('indents an error’s stack under its line, but not pino-http’s status errors', () => {
    const failed = line({
      level: 50,
      msg: 'boom',
      err: { message: 'x', stack: 'Error: x\n    at f (a.ts:1:1)' },
    });
    expect(formatLogLine(failed, { colour: false })).toBe(
      '10:04:05.067 ERROR boom\n    Error: x\n        at f (a.ts:1:1)\n',
    );
    const status = line({
      level: 50,
      msg: 'GET /api/x 500',
      err: { message: 'failed with status code 500' },
    });
    expect(formatLogLine(status, { colour: false })).toBe('10:04:05.067 ERROR GET /api/x 500\n');
  });

  it('colours the level on a terminal only', () => {
    expect(formatLogLine(line({ level: 40, msg: 'careful' }), { colour: true })).toBe(
      '10:04:05.067 \u001b[33mWARN \u001b[0m careful\n',
    );
  });

  it('passes a line that is not JSON on as it is', () => {
    expect(formatLogLine('plain text', { colour: false })).toBe('plain text\n');
  });
});
