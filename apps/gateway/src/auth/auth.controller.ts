import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { BlockList } from 'node:net';
import type { Request, Response } from 'express';
import {
  type AccountView,
  EMAIL_SHAPE,
  KeysRpc,
  type LoginCredentials,
  maskPastedKeys,
  normalizedEmail,
} from '#contracts';
import { ProblemError } from '#common';
import { isHttps, requestClientIp } from '../http/client-address';
import { FixedWindowLimiter } from '../http/fixed-window-limiter';
import { TRUSTED_PROXIES, commandMeta } from '../http/request-meta';
import { RpcClient } from '../rpc/rpc-client';
import { Access } from './access.decorator';
import { generateToken, sha256Hex } from './api-key-format';
import { LoginDto, SignupDto } from './auth.dto';
import { AuthProblems } from './auth.errors';
import type { Identity } from './identity';
import { Passwords } from './passwords';
import { clearSessionCookie, readSessionCookie, writeSessionCookie } from './session-cookie';
import { NoBody } from '../http/no-body';

/**
 * What of a login's typed email may cross NATS (PRODUCT.md §1: no secret in a NATS message). Text with no address's
 * shape is most often a password typed into the email field: it goes as its hash, which names no account (none has
 * an email without an @) and still gives the throttle one count per typed value. A whole key pasted into an address
 * (no account's address can hold one: a local part is at most 64 characters) goes masked, as its event keeps it.
 */
export function loginEmailOnTheWire(typed: string): string {
  const email = normalizedEmail(typed);
  return EMAIL_SHAPE.test(email) ? maskPastedKeys(email) : `unreadable:${sha256Hex(email)}`;
}

export interface UserView {
  id: string;
  email: string;
  name: string;
  tier: string;
  status: string;
  created_at: string;
}

export interface SessionAnswer {
  user: UserView;
  csrf_token: string;
}

export interface MeAnswer extends UserView {
  api_key?: { id: string; name: string; key_prefix: string; integrations: string[] };
}

const toUser = (account: AccountView): UserView => ({
  id: account.id,
  email: account.email,
  name: account.name,
  tier: account.tier,
  status: account.status,
  created_at: account.created_at,
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sign-ups and logins per client address per minute: each costs an argon2 hash (19 MiB, ~50 ms). */
const PASSWORD_ATTEMPTS_PER_MINUTE = 120;

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  private readonly logger = new Logger(AuthController.name);
  private readonly passwordAttempts = new FixedWindowLimiter(PASSWORD_ATTEMPTS_PER_MINUTE, 60_000, 'sign-in attempts');

  constructor(
    private readonly rpc: RpcClient,
    private readonly passwords: Passwords,
    @Inject(TRUSTED_PROXIES) private readonly trustedProxies: BlockList,
  ) {}

  @Post('signup')
  @Access({ mode: 'public' })
  @ApiOperation({ summary: 'Create an account and sign in (sets the vx_session cookie)' })
  async signup(
    @Body() body: SignupDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<SessionAnswer> {
    this.passwordAttempts.hit(requestClientIp(request, this.trustedProxies));
    const account = await this.rpc.request<AccountView>(KeysRpc.signup, {
      email: body.email,
      name: body.name,
      password_hash: await this.passwords.hash(body.password),
      meta: commandMeta(request, this.trustedProxies),
    });
    response.status(HttpStatus.CREATED);
    return this.startSession(account, request, response);
  }

  /**
   * Same answer for an unknown email and a wrong password. Repeated failures are slowed down by key-service's
   * throttle: a wrong answer waits before it is given; a right one never waits (PRODUCT.md §2).
   */
  @Post('login')
  @Access({ mode: 'public' })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Sign in with email and password (sets the vx_session cookie)' })
  async login(
    @Body() body: LoginDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<SessionAnswer> {
    const meta = commandMeta(request, this.trustedProxies);
    this.passwordAttempts.hit(meta.ip ?? '');
    const email = loginEmailOnTheWire(body.email);
    const credentials = await this.rpc.request<LoginCredentials>(KeysRpc.credentials, { email, ip: meta.ip });
    if (!(await this.passwords.verify(credentials.password_hash, body.password))) {
      // The failure is counted first and tells how long its answer waits: attempts sent at once each wait by
      // their own place in the count. (A key-service from before that answer gives only the lookup's delay.)
      const failure = await this.rpc.request<{ delay_ms?: number }>(KeysRpc.loginFailed, {
        email,
        reason: credentials.account ? 'wrong_password' : 'unknown_email',
        ...(credentials.account ? { account_id: credentials.account.id } : {}),
        meta,
      });
      const delayMs = failure.delay_ms ?? credentials.delay_ms;
      if (delayMs > 0) await sleep(delayMs);
      throw new ProblemError(HttpStatus.UNAUTHORIZED, 'AUTH_INVALID', 'the email or the password is wrong');
    }
    const account = credentials.account as AccountView;
    if (account.status !== 'active') {
      // Refused, so recorded like any refused login (PRODUCT.md §3.4: every outcome is an event).
      await this.rpc.request(KeysRpc.loginFailed, { email, reason: 'account_suspended', account_id: account.id, meta });
      throw AuthProblems.suspended();
    }
    return this.startSession(account, request, response);
  }

  @Post('logout')
  // A suspended user can still sign out (the session ends; nothing else is reached).
  @Access({ mode: 'session', evenSuspended: true })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End the dashboard session (X-CSRF-Token required)' })
  async logout(
    @NoBody() _none: undefined,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<void> {
    const token = readSessionCookie(request) ?? '';
    await this.rpc.request(KeysRpc.endSession, {
      token_hash: sha256Hex(token),
      meta: commandMeta(request, this.trustedProxies),
    });
    response.removeHeader('Set-Cookie');
    clearSessionCookie(response, isHttps(request, this.trustedProxies));
  }

  /** Answered from the verified identity: no further service call. */
  @Get('me')
  @Access({ mode: 'session_or_any_key' })
  @ApiOperation({ summary: 'The signed-in account; with an API key, also the key (what `vibexp whoami` shows)' })
  me(@Req() request: Request): MeAnswer {
    const identity = request.identity as Identity;
    const me: MeAnswer = toUser(identity.account);
    if (identity.kind === 'api_key') {
      me.api_key = {
        id: identity.key.id,
        name: identity.key.name,
        key_prefix: identity.key.key_prefix,
        integrations: identity.key.integrations,
      };
    }
    return me;
  }

  private async startSession(account: AccountView, request: Request, response: Response): Promise<SessionAnswer> {
    const token = generateToken();
    const csrfToken = generateToken();
    const meta = commandMeta(request, this.trustedProxies);
    const session = await this.rpc.request<{ session_id: string; expires_at: string }>(KeysRpc.createSession, {
      account_id: account.id,
      token_hash: sha256Hex(token),
      csrf_token_hash: sha256Hex(csrfToken),
      meta,
    });
    await this.endReplacedSession(request, meta);
    writeSessionCookie(response, token, session.expires_at, isHttps(request, this.trustedProxies));
    response.setHeader('Cache-Control', 'no-store');
    return { user: toUser(account), csrf_token: csrfToken };
  }

  /**
   * The session the browser's cookie held before this sign-in ends: the new cookie replaces it, so nobody could
   * use or end it any more (a dashboard that lost its CSRF token cannot log out, and signs in again instead).
   * A cookie sent with a sign-in comes from the dashboard's own origin (SameSite=Lax keeps it off cross-site
   * POSTs). Best effort: the sign-in stands if key-service does not answer this.
   */
  private async endReplacedSession(request: Request, meta: ReturnType<typeof commandMeta>): Promise<void> {
    const previous = readSessionCookie(request);
    if (!previous) return;
    await this.rpc
      .request(KeysRpc.endSession, { token_hash: sha256Hex(previous), reason: 'replaced', meta })
      .catch((error: unknown) => this.logger.warn(`the replaced session was not ended: ${String(error)}`));
  }
}
