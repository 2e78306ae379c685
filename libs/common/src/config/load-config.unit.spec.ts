import type { ClassConstructor } from 'class-transformer';
import { MinLength } from 'class-validator';
import { ConfigError, isSecretVariable, loadConfig } from './load-config';
import { BooleanVariable, ServiceEnv } from './base-env';

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

  it.each(['postgres//u:S3cretWord@h/db', 'u:S3cretWord@h:5432/db', 'postgres:/u:S3cretWord@h/db', 'x y:S3cretWord@h'])(
    'masks the credentials of a mistyped URL too: %s',
    (value) => {
      const text = problemsOf({ DATABASE_URL: value, ADMIN_TOKEN: 'a-long-enough-admin-token' }, EnvWithSecrets).join(
        '\n',
      );
      expect(text).toContain('[REDACTED]@');
      expect(text).not.toContain('S3cretWord');
    },
  );

  it('takes a PostgreSQL URL with a socket directory instead of a host', () => {
    expect(
      loadConfig(ServiceEnv, { DATABASE_URL: 'postgres:///keys?host=/run/postgresql&user=u' }).DATABASE_URL,
    ).toContain('host=');
  });

  it.each(['ADMIN_TOKEN', 'SESSION_TOKEN', 'WEBHOOK_SECRET', 'POSTGRES_PASSWORD', 'SIGNING_KEY', 'KEY'])(
    'treats %s as a secret',
    (name) => expect(isSecretVariable(name)).toBe(true),
  );

  it.each(['DATABASE_URL', 'KEYS_URL', 'HOST', 'TOKEN_TTL_MS'])('shows the value of %s', (name) =>
    expect(isSecretVariable(name)).toBe(false),
  );

  it('says one rule per bad number, without NaN ranges', () => {
    for (const bad of ['abc', '', '12.5', '1e3', '0x10', '70000', '-1']) {
      expect(problemsOf({ ...valid, HTTP_PORT: bad })).toEqual([
        `HTTP_PORT=${JSON.stringify(bad)}: must be a whole number from 0 to 65535`,
      ]);
    }
    expect(problemsOf({ ...valid, RPC_TIMEOUT_MS: '10' })).toEqual([
      'RPC_TIMEOUT_MS="10": must be a whole number of milliseconds from 50 to 60000',
    ]);
    expect(problemsOf({ ...valid, NATS_STREAM_REPLICAS: '0' })).toEqual([
      'NATS_STREAM_REPLICAS="0": must be a whole number from 1 to 5',
    ]);
  });

  it('keeps one copy of each stream unless NATS_STREAM_REPLICAS says more (a cluster)', () => {
    expect(loadConfig(ServiceEnv, valid).NATS_STREAM_REPLICAS).toBe(1);
    expect(loadConfig(ServiceEnv, { ...valid, NATS_STREAM_REPLICAS: '3' }).NATS_STREAM_REPLICAS).toBe(3);
  });

  it.each([
    ['DATABASE_URL', 'postgres://postgres:pw@127.0.0.1:notaport/keys'],
    ['DATABASE_URL', 'postgres://postgres:pw@127.0.0.1:99999/keys'],
    ['NATS_URL', 'nats://u:p@127.0.0.1:notaport'],
    ['NATS_URL', 'nats://127.0.0.1:4222,nats://127.0.0.1:x'],
    ['NATS_URL', 'nats://'],
    ['HOST', '999.1.1.1'],
    ['HOST', 'not_a_host'],
    ['HOST', ''],
    ['LOG_LEVEL', 'loud'],
  ])('refuses %s=%s, naming it, with the password masked', (variable, value) => {
    const problems = problemsOf({ ...valid, [variable]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${variable}=`));
    expect(problems[0]).not.toMatch(/:pw@|:p@/);
  });

  it.each([
    ['NATS_URL', 'nats://u:p@127.0.0.1:4222,tls://n2.example:4222'],
    ['DATABASE_URL', 'postgresql://u:p%40ss@db.example/keys?sslmode=require'],
    ['HOST', '0.0.0.0'],
    ['HOST', '::'],
    ['HOST', 'localhost'],
    ['HOST', 'svc-1.internal.example'],
  ])('accepts %s=%s', (variable, value) => {
    expect(() => loadConfig(ServiceEnv, { ...valid, [variable]: value })).not.toThrow();
  });

  it('reads LOG_LEVEL in any case and lists the levels when it is none of them', () => {
    expect(loadConfig(ServiceEnv, { ...valid, LOG_LEVEL: 'INFO' }).LOG_LEVEL).toBe('info');
    expect(problemsOf({ ...valid, LOG_LEVEL: 'verbose' })).toEqual([
      'LOG_LEVEL="verbose": must be one of trace, debug, info, warn, error, fatal, silent (any case)',
    ]);
  });

  it('reads a boolean only from true, false, 1 or 0', () => {
    class EnvWithFlag extends ServiceEnv {
      @BooleanVariable()
      FLAG = false;
    }
    const flag = (value: string) => (loadConfig(EnvWithFlag, { ...valid, FLAG: value }) as EnvWithFlag).FLAG;
    expect([flag('true'), flag('TRUE'), flag('1'), flag('false'), flag('0')]).toEqual([true, true, true, false, false]);
    expect((loadConfig(EnvWithFlag, valid) as EnvWithFlag).FLAG).toBe(false);
    for (const bad of ['maybe', 'yes', '', 'on']) {
      expect(problemsOf({ ...valid, FLAG: bad }, EnvWithFlag)).toEqual([
        `FLAG=${JSON.stringify(bad)}: must be true, false, 1 or 0`,
      ]);
    }
  });
});
