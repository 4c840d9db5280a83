import { loadRouterConfig, RouterConfigError } from '../config/router.config';
import { chooseLogFormat, redactUrl } from './router.logger';

describe('the log format', () => {
  it('is pretty on a terminal and JSON elsewhere, unless LOG_FORMAT says', () => {
    expect(chooseLogFormat('auto', true)).toBe('pretty');
    expect(chooseLogFormat('auto', false)).toBe('json');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
  });

  it('is read from LOG_FORMAT, auto by default', () => {
    expect(loadRouterConfig({}).logFormat).toBe('auto');
    expect(loadRouterConfig({ LOG_FORMAT: 'Pretty' }).logFormat).toBe('pretty');
    expect(() => loadRouterConfig({ LOG_FORMAT: 'xml' })).toThrow(
      new RouterConfigError(['LOG_FORMAT="xml": expected one of auto, pretty, json']),
    );
  });
});

describe('redactUrl', () => {
  it('replaces the value of every credential-like query parameter', () => {
    expect(redactUrl('/api/rules?access_token=s1&limit=5&token=s2&api_key=s3&apiKey=s4&X-Secret=s5')).toBe(
      '/api/rules?access_token=[redacted]&limit=5&token=[redacted]&api_key=[redacted]&apiKey=[redacted]&X-Secret=[redacted]',
    );
    expect(redactUrl('/api/rules?acc%65ss_token=s1&password')).toBe(
      '/api/rules?acc%65ss_token=[redacted]&password=[redacted]',
    );
  });

  it('leaves other URLs alone', () => {
    expect(redactUrl('/api/decisions?agent_id=7&rule=no-breaks')).toBe(
      '/api/decisions?agent_id=7&rule=no-breaks',
    );
    expect(redactUrl('/health')).toBe('/health');
  });
});
