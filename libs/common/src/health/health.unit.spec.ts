import type { Request, Response } from 'express';
import { HttpStatus } from '@nestjs/common';
import { ProblemError } from '../http/problem';
import { Metrics } from '../metrics/metrics';
import { loadConfig } from '../config/load-config';
import { ServiceEnv } from '../config/base-env';
import { HealthController } from './health';

const TOKEN = 'metrics-token-0123456789';
const asking = (authorization?: string) =>
  ({ headers: authorization === undefined ? {} : { authorization } }) as unknown as Request;
/** The headers an answer was given. */
function answering(): Response & { headers: Record<string, string>; statusCode: number } {
  const headers: Record<string, string> = {};
  const response = {
    headers,
    statusCode: 200,
    setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value),
    status: (code: number) => {
      response.statusCode = code;
      return response;
    },
  };
  return response as never;
}

describe('GET /metrics', () => {
  const metrics = new Metrics('unit');

  it('is open when no METRICS_TOKEN is set', async () => {
    const response = answering();
    await expect(new HealthController([], metrics).prometheus(asking(), response)).resolves.toContain('service="unit"');
    expect(response.headers).toEqual({});
  });

  it('wants the METRICS_TOKEN as a bearer token when one is set', async () => {
    const sut = new HealthController([], metrics, TOKEN);
    const response = answering();
    await expect(sut.prometheus(asking(`Bearer ${TOKEN}`), response)).resolves.toContain('service="unit"');
    expect(response.headers['cache-control']).toBe('no-store');
    await expect(sut.prometheus(asking(`bearer ${TOKEN}`), answering())).resolves.toContain('service="unit"');
    for (const refused of [undefined, '', 'Bearer', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN, `Bearer ${TOKEN} x`]) {
      const answer = sut.prometheus(asking(refused), answering());
      await expect(answer).rejects.toBeInstanceOf(ProblemError);
      await expect(answer).rejects.toMatchObject({ status: HttpStatus.UNAUTHORIZED, code: 'AUTH_REQUIRED' });
    }
  });

  it('refuses a METRICS_TOKEN shorter than 16 characters, without showing it', () => {
    const env = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/keys' };
    expect(loadConfig(ServiceEnv, { ...env, METRICS_TOKEN: TOKEN }).METRICS_TOKEN).toBe(TOKEN);
    expect(() => loadConfig(ServiceEnv, { ...env, METRICS_TOKEN: 'short-secret' })).toThrow(
      /METRICS_TOKEN \(value not shown\).*16 characters/,
    );
  });
});

describe('GET /readyz', () => {
  const metrics = new Metrics('unit');
  const checks = [
    { name: 'nats', check: () => Promise.resolve() },
    { name: 'database', check: () => Promise.reject(new Error('connect ECONNREFUSED 10.0.3.7:5432')) },
  ];

  it('is 200 when every dependency answers, 503 naming the ones that do not, and why, on a local platform', async () => {
    const up = answering();
    await expect(new HealthController([checks[0]], metrics).ready(asking(), up)).resolves.toEqual({
      status: 'ok',
      checks: { nats: 'ok' },
    });
    expect([up.statusCode, up.headers['cache-control']]).toEqual([200, 'no-store']);
    const down = answering();
    await expect(new HealthController(checks, metrics).ready(asking(), down)).resolves.toEqual({
      status: 'unavailable',
      checks: { nats: 'ok', database: 'connect ECONNREFUSED 10.0.3.7:5432' },
    });
    expect(down.statusCode).toBe(503);
  });

  it('with METRICS_TOKEN set, tells why only to its holder: a probe still sees which dependency is down', async () => {
    const sut = new HealthController(checks, metrics, TOKEN);
    const probe = answering();
    await expect(sut.ready(asking(), probe)).resolves.toEqual({
      status: 'unavailable',
      checks: { nats: 'ok', database: 'unavailable' },
    });
    expect(probe.statusCode).toBe(503);
    await expect(sut.ready(asking(`Bearer ${TOKEN}x`), answering())).resolves.toMatchObject({
      checks: { database: 'unavailable' },
    });
    await expect(sut.ready(asking(`Bearer ${TOKEN}`), answering())).resolves.toMatchObject({
      checks: { database: 'connect ECONNREFUSED 10.0.3.7:5432' },
    });
  });
});
