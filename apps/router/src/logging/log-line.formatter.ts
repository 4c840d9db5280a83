/** pino's level numbers, as a reader sees them. */
const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** ANSI colours of the levels, on a terminal only. */
const COLOURS: Record<number, string> = { 10: '90', 20: '90', 30: '32', 40: '33', 50: '31', 60: '35' };

/**
 * Fields shown in their own place or already said by the message: pino's bookkeeping, the
 * request and response of an access line, a change line's `decision`.
 */
const SHOWN_APART = new Set([
  'level',
  'time',
  'pid',
  'hostname',
  'msg',
  'context',
  'err',
  'req',
  'res',
  'responseTime',
  'reqId',
  'decision',
]);

/**
 * One pino JSON line as a line for people: `10:00:00.123 INFO  [Pipeline] message key=value`,
 * in local time, with an error's stack indented under it. A line that is not pino's JSON is
 * passed on as it is.
 */
export function formatLogLine(json: string, options: { colour: boolean }): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const levelNumber = typeof record.level === 'number' ? record.level : 30;
  const label = (LEVELS[levelNumber] ?? String(record.level)).padEnd(5);
  const level = options.colour ? `\u001b[${COLOURS[levelNumber] ?? '0'}m${label}\u001b[0m` : label;
  const context = typeof record.context === 'string' ? ` [${record.context}]` : '';
  const extra = Object.entries(record)
    .filter(([key]) => !SHOWN_APART.has(key))
    .map(([key, value]) => ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('');
  let line = `${clock(record.time)} ${level}${context} ${typeof record.msg === 'string' ? record.msg : JSON.stringify(record.msg ?? '')}${extra}\n`;
  const stack = errorText(record.err);
  if (stack) line += `${stack.replace(/^/gm, '    ')}\n`;
  return line;
}

function clock(time: unknown): string {
  const at = new Date(typeof time === 'number' ? time : Date.now());
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}.${pad(at.getMilliseconds(), 3)}`;
}

/** An error's stack (or message), except pino-http's own "failed with status code" errors. */
function errorText(err: unknown): string | null {
  if (!err || typeof err !== 'object') return null;
  const { stack, message } = err as { stack?: unknown; message?: unknown };
  if (typeof message === 'string' && message.startsWith('failed with status code')) return null;
  return typeof stack === 'string' ? stack : typeof message === 'string' ? message : null;
}
