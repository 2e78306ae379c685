import { type CanActivate, type ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { BEARER_CHALLENGE, ProblemError } from '#common';
import { GatewayEnv } from '../config/gateway.env';
import { sha256Hex } from '../auth/api-key-format';

/** `/admin/v1` exists only when ADMIN_TOKEN is set, and answers only `Authorization: Bearer <ADMIN_TOKEN>`. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly tokenHash?: Buffer;

  constructor(config: GatewayEnv) {
    if (config.ADMIN_TOKEN) this.tokenHash = Buffer.from(sha256Hex(config.ADMIN_TOKEN));
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.tokenHash) throw new ProblemError(HttpStatus.NOT_FOUND, 'NOT_FOUND', 'no route matches this path');
    const request = context.switchToHttp().getRequest<Request>();
    // Admin answers hold accounts' emails and import reports: never stored by a cache (PRODUCT.md §1).
    context.switchToHttp().getResponse<Response>().setHeader('Cache-Control', 'no-store');
    const header = request.headers.authorization;
    if (header === undefined) {
      throw new ProblemError(HttpStatus.UNAUTHORIZED, 'AUTH_REQUIRED', 'send `Authorization: Bearer <ADMIN_TOKEN>`', {
        headers: { 'WWW-Authenticate': BEARER_CHALLENGE },
      });
    }
    const match = /^bearer\s+(\S+)$/i.exec(header.trim());
    // Compare hashes: equal length, constant time, whatever was sent.
    if (!match || !timingSafeEqual(Buffer.from(sha256Hex(match[1])), this.tokenHash)) {
      throw new ProblemError(HttpStatus.UNAUTHORIZED, 'AUTH_INVALID', 'the admin token is not valid', {
        headers: { 'WWW-Authenticate': `${BEARER_CHALLENGE}, error="invalid_token"` },
      });
    }
    return true;
  }
}
