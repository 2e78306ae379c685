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
function answering(): Response & { headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  return { headers, setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value) } as never;
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
