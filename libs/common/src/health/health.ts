import { Controller, Get, Header, HttpCode, HttpStatus, Inject, Optional, Req, Res } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { withTimeout } from '../async/with-timeout';
import { Metrics } from '../metrics/metrics';
import { BEARER_CHALLENGE, ProblemError } from '../http/problem';

/** A dependency whose reachability decides `/readyz`. */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when reachable; rejects with a short reason otherwise. */
  check(): Promise<void>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
/** The METRICS_TOKEN variable: when set, `/metrics` wants it as a bearer token. */
export const METRICS_TOKEN = Symbol('METRICS_TOKEN');

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(check: ReadinessCheck): Promise<[string, string]> {
  try {
    await withTimeout(check.check(), CHECK_TIMEOUT_MS, 'timed out');
    return [check.name, 'ok'];
  } catch (error) {
    return [check.name, error instanceof Error ? error.message : String(error)];
  }
}

@Controller()
export class HealthController {
  constructor(
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    private readonly metrics: Metrics,
    @Optional() @Inject(METRICS_TOKEN) private readonly metricsToken?: string,
  ) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  @HttpCode(HttpStatus.OK)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: every dependency answers; 503 names the ones that do not. Why one fails (an error message, which
   * can name an internal address) is told to everyone on a local platform, and with METRICS_TOKEN set only to
   * its holder: a load balancer's probe needs the status alone.
   */
  @Get('readyz')
  async ready(
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<{ status: string; checks: Record<string, string> }> {
    const results = Object.fromEntries(await Promise.all(this.checks.map(runCheck)));
    const ready = Object.values(results).every((result) => result === 'ok');
    response.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    response.setHeader('Cache-Control', 'no-store');
    if (this.metricsToken && !this.holdsMetricsToken(request))
      for (const [name, result] of Object.entries(results)) if (result !== 'ok') results[name] = 'unavailable';
    return { status: ready ? 'ok' : 'unavailable', checks: results };
  }

  /**
   * Prometheus metrics. Open by default (a local platform, a scraper inside the network); with METRICS_TOKEN set,
   * only for `Authorization: Bearer <METRICS_TOKEN>`, so that a service reachable from outside does not tell
   * anyone its traffic and error rates.
   */
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async prometheus(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<string> {
    if (this.metricsToken) {
      // Authenticated: like every authenticated answer (PRODUCT.md §1), never kept by a cache.
      response.setHeader('Cache-Control', 'no-store');
      if (!this.holdsMetricsToken(request))
        throw new ProblemError(
          HttpStatus.UNAUTHORIZED,
          'AUTH_REQUIRED',
          'metrics need `Authorization: Bearer <METRICS_TOKEN>` on this deployment',
          { headers: { 'WWW-Authenticate': BEARER_CHALLENGE } },
        );
    }
    return this.metrics.registry.metrics();
  }

  /** `Authorization: Bearer <METRICS_TOKEN>`, compared as digests: the time taken says nothing about the token. */
  private holdsMetricsToken(request: Request): boolean {
    const sent = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    return this.metricsToken !== undefined && timingSafeEqual(digest(sent), digest(this.metricsToken));
  }
}
