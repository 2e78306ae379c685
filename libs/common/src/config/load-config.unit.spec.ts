import { ConfigError, loadConfig } from './load-config';
import { ServiceEnv } from './base-env';

describe('loadConfig', () => {
  const valid = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/keys', NATS_URL: 'nats://127.0.0.1:4222' };

  it('applies defaults and converts numbers', () => {
    const sut = loadConfig(ServiceEnv, { ...valid, HTTP_PORT: '8080' });
    expect(sut.HTTP_PORT).toBe(8080);
    expect(sut.LOG_LEVEL).toBe('info');
    expect(sut.RPC_TIMEOUT_MS).toBe(5000);
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig(ServiceEnv, { NATS_URL: 'http://wrong', HTTP_PORT: 'eighty', LOG_LEVEL: 'loud' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const variable of ['DATABASE_URL', 'NATS_URL', 'HTTP_PORT', 'LOG_LEVEL']) expect(problems).toContain(variable);
  });

  it('rejects a port out of range', () => {
    expect(() => loadConfig(ServiceEnv, { ...valid, HTTP_PORT: '70000' })).toThrow(/HTTP_PORT/);
  });
});
