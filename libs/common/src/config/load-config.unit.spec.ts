import type { ClassConstructor } from 'class-transformer';
import { MinLength } from 'class-validator';
import { ConfigError, isSecretVariable, loadConfig } from './load-config';
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

describe('loadConfig refusals', () => {
  const valid = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/keys' };

  class EnvWithSecrets extends ServiceEnv {
    @MinLength(16, { message: 'must be at least 16 characters when set' })
    ADMIN_TOKEN = 'a-long-enough-default-token';

    @MinLength(16, { message: 'must be at least 16 characters' })
    WEBHOOK_SIGNING_KEY = 'a-long-enough-default-key';
  }

  function problemsOf(env: Record<string, string>, schema: ClassConstructor<object> = ServiceEnv): string[] {
    try {
      loadConfig(schema, env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    throw new Error('the configuration was accepted');
  }

  it('masks the password of a URL it refuses and never shows the value of a secret variable', () => {
    const problems = problemsOf(
      { DATABASE_URL: 'mysql://u:Pa55SecretWord@h/db', ADMIN_TOKEN: 'shortSecret99', WEBHOOK_SIGNING_KEY: 'k3yk3y' },
      EnvWithSecrets,
    );
    const text = problems.join('\n');
    expect(text).not.toMatch(/Pa55SecretWord|shortSecret99|k3yk3y/);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DATABASE_URL="mysql:\/\/u:\[REDACTED\]@h\/db": must be a postgres:\/\/ connection URL/),
        'ADMIN_TOKEN (value not shown): must be at least 16 characters when set',
        'WEBHOOK_SIGNING_KEY (value not shown): must be at least 16 characters',
      ]),
    );
  });

  it.each(['ADMIN_TOKEN', 'SESSION_TOKEN', 'WEBHOOK_SECRET', 'POSTGRES_PASSWORD', 'SIGNING_KEY', 'KEY'])(
    'treats %s as a secret',
    (name) => expect(isSecretVariable(name)).toBe(true),
  );

  it.each(['DATABASE_URL', 'KEYS_URL', 'HOST', 'TOKEN_TTL_MS'])('shows the value of %s', (name) =>
    expect(isSecretVariable(name)).toBe(false),
  );
});
