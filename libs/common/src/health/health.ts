import { Controller, Get, Header, HttpCode, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { withTimeout } from '../async/with-timeout';
import { Metrics } from '../metrics/metrics';

/** A dependency whose reachability decides `/readyz`. */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when reachable; rejects with a short reason otherwise. */
  check(): Promise<void>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

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
  ) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  @HttpCode(HttpStatus.OK)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: every dependency answers; 503 names the ones that do not. */
  @Get('readyz')
  async ready(
    @Res({ passthrough: true }) response: Response,
  ): Promise<{ status: string; checks: Record<string, string> }> {
    const results = Object.fromEntries(await Promise.all(this.checks.map(runCheck)));
    const ready = Object.values(results).every((result) => result === 'ok');
    response.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ready ? 'ok' : 'unavailable', checks: results };
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async prometheus(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
