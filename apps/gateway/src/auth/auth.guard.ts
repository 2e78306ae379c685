import { type CanActivate, type ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { BlockList } from 'node:net';
import type { Request, Response } from 'express';
import {
  type Integration,
  KeysRpc,
  type ExpiredAccessToken,
  OAuthRpc,
  type VerifiedAccessToken,
  type VerifiedKey,
  type VerifiedSession,
} from '#contracts';
import { ProblemError, whenAnswered } from '#common';
import { GatewayEnv } from '../config/gateway.env';
import { isHttps } from '../http/client-address';
import { SAFE_METHODS } from '../http/safe-methods';
import {
  ACCESS_TOKEN,
  bearerToken,
  mcpResource,
  publicOrigin,
  resourceMetadataUrl,
  sameResource,
} from '../oauth/oauth-protocol';
import { TRUSTED_PROXIES, requestMeta } from '../http/request-meta';
import { UNMATCHED_ROUTE, classify } from '../usage/classify';
import { GEO_LOCATOR, type GeoLocator } from '../usage/geo';
import { type HourlyRateLimiter, type RateDecision, rateLimitHeaders } from '../usage/rate-limiter';
import { RATE_LIMITER, RateLimitSync } from '../usage/rate-limit-sync';
import { RpcCallError, RpcClient } from '../rpc/rpc-client';
import { parseAuthorization, sha256Hex } from './api-key-format';
import { accessPolicyOf } from './access.decorator';
import { AuthEventsPublisher, type AuthFailure, type RequestAnswer, type RequestUsage } from './auth-events.publisher';
import { AuthProblems } from './auth.errors';
import { ROUTE_POLICIES, type RoutePolicies } from './route-policies';
import type { AccessPolicy, Identity } from './identity';
import { KeyVerifier } from './key-verifier';
import { clearSessionCookie, readSessionCookie, writeSessionCookie } from './session-cookie';
import { mcpErrorOf, mcpRequestFacts } from '../mcp/mcp-action';

const DECLARABLE_INTEGRATIONS = new Set<Integration>(['ai_tools', 'cli']);

function authorizationHeaderCount(rawHeaders: string[]): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index];
    if (name.length === 13 && name.toLowerCase() === 'authorization') count += 1;
  }
  return count;
}

/**
 * The route template the router matched (`/api/v1/prompts/:id`), or for a request refused before routing the one it
 * was for. An unknown route has none: its path is never recorded in its stead (it may hold anything, a pasted key
 * included).
 */
function routeOf(request: Request): string {
  return (request.route as { path?: string } | undefined)?.path ?? request[ROUTE_BEFORE_ROUTING] ?? UNMATCHED_ROUTE;
}

/** Paths of the REST API and the IDE hooks, whose requests are authenticated even when refused before routing. */
const REST_API = /^\/api\/v1(\/|$)/;
/** The MCP endpoint's: authenticated first too (its own route only: it takes OAuth tokens, never keys). */
const MCP_API = /^\/mcp\//;

/** An unknown route or method takes any valid key: there is no route to ask for more. */
const ANY_KEY: AccessPolicy = { mode: 'session_or_any_key' };

/** Set on a request once its credentials were looked at, by canActivate or before routing. */
const AUTH_CHECKED = Symbol('authChecked');
/** The route template of a request authenticated before routing (Express sets `request.route` only when routing). */
const ROUTE_BEFORE_ROUTING = Symbol('routeBeforeRouting');

declare module 'express-serve-static-core' {
  interface Request {
    [AUTH_CHECKED]?: true;
    [ROUTE_BEFORE_ROUTING]?: string;
  }
}

function safeEqualHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/**
 * The one authentication guard (PRODUCT.md §3.4): API key or dashboard session, checks in the
 * table's order, each refusal with its own code and an `auth.failed` event, each API-key request
 * with a `key.used` event when its response is sent.
 */
/**
 * Why a key that resolved cannot be used, in the order §3.4 checks: expiry first (an expired key is recorded as
 * `expired` whether or not key-service has yet marked it), then revocation (including a rotation's grace that
 * ran out), then the account; null for a usable key.
 */
function keyRefusal({ key, account }: VerifiedKey, now: number): 'expired' | 'revoked' | 'suspended' | null {
  if ((key.expires_at && Date.parse(key.expires_at) <= now) || key.revoked_reason === 'expired') return 'expired';
  if (key.status !== 'active' || (key.revoke_at && Date.parse(key.revoke_at) <= now)) return 'revoked';
  if (account.status !== 'active') return 'suspended';
  return null;
}

@Injectable()
export class AuthGuard implements CanActivate {
  private readonly policies = new WeakMap<Function, WeakMap<Function, AccessPolicy>>();

  constructor(
    private readonly verifier: KeyVerifier,
    private readonly rpc: RpcClient,
    private readonly events: AuthEventsPublisher,
    @Inject(TRUSTED_PROXIES) private readonly trustedProxies: BlockList,
    @Inject(RATE_LIMITER) private readonly limiter: HourlyRateLimiter,
    @Inject(GEO_LOCATOR) private readonly geo: GeoLocator,
    private readonly rateLimitSync: RateLimitSync,
    private readonly config: GatewayEnv,
    @Inject(ROUTE_POLICIES) private readonly routes: RoutePolicies,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<Request>();
    request[AUTH_CHECKED] = true;
    const policy = this.policyOf(context);
    if (policy.mode === 'public') return true;
    request.identity = await this.authenticate(request, context.switchToHttp().getResponse<Response>(), policy);
    return true;
  }

  /**
   * A REST request refused before routing (a body that is not JSON, over 2 MiB or of another type; an unknown route
   * or method) never meets canActivate. It is authenticated here all the same, and first, as every request is:
   * its credentials are judged before its body or its path (PRODUCT.md §3.4: "every outcome is an event"; §9.2: "any
   * attempt with a revoked or expired key"; §4: "every request made with a valid key … counts"). A known route is
   * authenticated with its own policy (its integration, session only…); an unknown route or method only when a key
   * is sent, taking any valid key, and a request without one keeps its 404 or 405 with nothing recorded. The MCP
   * endpoint's requests are authenticated first too, with its OAuth tokens. Returns
   * the refusal to answer instead (401, 403, 429, 503), or undefined to answer the early error, which then carries
   * the limit headers and is the key's `key.used`. Public routes (signup, login…) check no credentials.
   */
  async authenticateBeforeRouting(request: Request, response: Response): Promise<ProblemError | undefined> {
    const rest = REST_API.test(request.path);
    if (request[AUTH_CHECKED] || !(rest || MCP_API.test(request.path))) return undefined;
    const route = this.routes.find(request);
    const policy = route?.policy ?? (rest && request.headers.authorization !== undefined ? ANY_KEY : undefined);
    if (!policy || policy.mode === 'public') return undefined;
    request[AUTH_CHECKED] = true;
    if (route) request[ROUTE_BEFORE_ROUTING] = route.template;
    try {
      request.identity = await this.authenticate(request, response, policy);
      return undefined;
    } catch (refusal) {
      if (refusal instanceof ProblemError) return refusal;
      throw refusal;
    }
  }

  /** §3.4 for a route that is not public: an API key, else the session cookie, else AUTH_REQUIRED. */
  private async authenticate(request: Request, response: Response, policy: AccessPolicy): Promise<Identity> {
    response.setHeader('Cache-Control', 'no-store');
    if (policy.mode === 'oauth') return this.authenticateOAuth(request, response);
    if (request.headers.authorization !== undefined) return this.authenticateKey(request, response, policy);
    if (readSessionCookie(request) !== undefined) {
      const identity = await this.authenticateSession(
        request,
        response,
        policy.mode === 'session' && policy.evenSuspended === true,
      );
      // A session needs no integration, but a declared one must be a real one on a route keys reach too (§3.2).
      if (policy.mode !== 'session') this.neededIntegration(request, policy);
      return identity;
    }
    this.fail(request, { reason: 'missing', status: HttpStatus.UNAUTHORIZED });
    throw AuthProblems.required();
  }

  /** A route's policy never changes: looked up once per route (reading metadata on every call costs more). */
  private policyOf(context: ExecutionContext): AccessPolicy {
    // By class and handler: a handler inherited by two controllers may have two policies.
    const controller = context.getClass();
    const handler = context.getHandler();
    let byHandler = this.policies.get(controller);
    if (!byHandler) this.policies.set(controller, (byHandler = new WeakMap()));
    let policy = byHandler.get(handler);
    if (!policy) {
      policy = accessPolicyOf(controller, handler);
      byHandler.set(handler, policy);
    }
    return policy;
  }

  /**
   * The key checks of §3.4 that need no route: one Authorization header, well formed, a key that exists and is
   * neither expired nor revoked. A refusal is recorded and thrown; a usable key is answered with whether its
   * account is suspended.
   */
  private async verifiedKey(request: Request): Promise<{ verified: VerifiedKey; suspended: boolean }> {
    // Node keeps the first of several Authorization headers; a proxy may keep another. Ambiguous: refused.
    if (authorizationHeaderCount(request.rawHeaders) > 1)
      this.refuse(
        request,
        { reason: 'malformed' },
        AuthProblems.malformed('the request has more than one Authorization header: send exactly one'),
      );
    const parsed = parseAuthorization(request.headers.authorization);
    if (parsed.kind !== 'token') {
      const detail = parsed.kind === 'malformed' ? parsed.detail : 'send `Authorization: Bearer vxk_…`';
      const keyPrefix = parsed.kind === 'malformed' ? parsed.keyPrefix : undefined;
      return this.refuse(request, { reason: 'malformed', keyPrefix }, AuthProblems.malformed(detail));
    }
    let verified;
    try {
      verified = await this.verifier.verify(sha256Hex(parsed.token));
    } catch (error) {
      if (error instanceof RpcCallError) throw AuthProblems.unavailable();
      throw error;
    }
    if (!verified)
      return this.refuse(
        request,
        { reason: 'unknown', keyPrefix: parsed.keyPrefix || undefined },
        AuthProblems.invalid(),
      );
    const refusal = keyRefusal(verified, Date.now());
    if (refusal === 'expired' || refusal === 'revoked') {
      const { key, account } = verified;
      this.refuse(
        request,
        { reason: refusal, keyPrefix: key.key_prefix, keyId: key.id, accountId: account.id },
        AuthProblems.invalid(),
      );
    }
    // Once per account and hour in this instance: the hour's count so far, so a restart starts from it (a
    // suspended account's answer shows it too).
    if (this.limiter.needsPriming(verified.account.id)) await this.rateLimitSync.prime(verified.account.id);
    return { verified, suspended: refusal === 'suspended' };
  }

  /** Records a refusal of the key checks and throws its answer. */
  private refuse(request: Request, failure: Omit<AuthFailure, 'status'>, problem: ProblemError): never {
    this.fail(request, { ...failure, status: problem.status });
    throw problem;
  }

  private async authenticateKey(request: Request, response: Response, policy: AccessPolicy): Promise<Identity> {
    const check = await this.verifiedKey(request);
    const verified = check.verified;
    const { key, account } = verified;
    const attribution = { keyPrefix: key.key_prefix, keyId: key.id, accountId: account.id };
    if (check.suspended) {
      // Not counted (only an active account's requests are, PRODUCT.md §4), but an API-key answer all the same:
      // it carries the limit headers.
      this.setRateHeaders(response, this.limiter.peek(account.id, account.hourly_limit));
      this.fail(request, { reason: 'suspended', status: HttpStatus.FORBIDDEN, ...attribution });
      throw AuthProblems.suspended();
    }
    // Session-only routes refuse every key (SESSION_REQUIRED), whatever its integrations; /auth/me takes any key.
    let integration: Integration | null;
    try {
      if (policy.mode === 'session') integration = null;
      else if (policy.mode === 'session_or_any_key') {
        // Any integration is accepted here, but a declared one must still be a real one (PRODUCT.md §3.2).
        this.neededIntegration(request, policy);
        integration = null;
      } else integration = this.neededIntegration(request, policy);
    } catch (badIntegrationHeader) {
      // A valid key's request answered 400 for its X-VibeXP-Integration is still that key's request: it
      // counts, carries the limit headers and is recorded (PRODUCT.md §4, §3.4), like any other 400.
      this.admit(request, response, verified, null);
      throw badIntegrationHeader;
    }
    if (integration && !key.integrations.includes(integration)) {
      // A refusal for a missing integration still counts against the hourly limit (PRODUCT.md §4).
      this.setRateHeaders(response, this.limiter.countRefused(account.id, account.hourly_limit));
      this.fail(request, { reason: 'integration', status: HttpStatus.FORBIDDEN, ...attribution });
      // The key's other integration, when declaring it would be accepted here (not on a route fixed to one).
      const declarable =
        request.headers['x-vibexp-integration'] === undefined && !(policy.mode === 'session_or_key' && policy.fixed)
          ? key.integrations.find((held) => held !== integration && DECLARABLE_INTEGRATIONS.has(held as Integration))
          : undefined;
      throw AuthProblems.integration(integration, declarable);
    }
    this.admit(request, response, verified, integration);
    if (policy.mode === 'session') throw AuthProblems.sessionRequired();
    return { kind: 'api_key', account, key };
  }

  /**
   * The hourly limit, then acceptance: from here on the request is the key's, with one key.used when its
   * answer is sent (a refusal is one auth.failed instead).
   */
  private admit(request: Request, response: Response, verified: VerifiedKey, integration: Integration | null): void {
    const { key, account } = verified;
    this.consumeHourlyLimit(request, response, account, { keyPrefix: key.key_prefix, keyId: key.id });
    this.recordUseWhenSent(request, response, key.id, key.key_prefix, account.id, integration);
  }

  /** One request of the account's hourly limit (PRODUCT.md §4), with its headers; 429 once it is used up. */
  private consumeHourlyLimit(
    request: Request,
    response: Response,
    account: Identity['account'],
    attribution: Pick<AuthFailure, 'keyPrefix' | 'keyId'> = {},
  ): void {
    const decision = this.limiter.consume(account.id, account.hourly_limit);
    const headers = this.setRateHeaders(response, decision);
    if (decision.allowed) return;
    this.fail(request, {
      reason: 'rate_limited',
      status: HttpStatus.TOO_MANY_REQUESTS,
      ...attribution,
      accountId: account.id,
    });
    throw AuthProblems.rateLimited(decision.secondsToReset, headers);
  }

  /**
   * The MCP endpoint (PRODUCT.md §14) takes OAuth 2.1 access tokens issued for it, never API keys. The
   * §3.4 checks keep their order (missing → AUTH_REQUIRED, malformed → AUTH_MALFORMED); an API key (any
   * other well-formed token) → OAUTH_REQUIRED; an unknown, expired, revoked or other resource's access
   * token → AUTH_INVALID. Every 401 points at the protected-resource metadata (RFC 9728) so that an MCP
   * client can start its OAuth flow. The token is checked with key-service on every request (no cache),
   * so a disconnected app is refused at once; MCP requests count against the account's hourly limit.
   */
  /**
   * What an API key sent to the MCP endpoint is recorded as. The answer is OAUTH_REQUIRED whatever the key, but the
   * audit trail names it as on any route: an unknown, expired or revoked key (so a revoked key tried here raises
   * its alert too), a suspended account, or else a key that lacks what the route needs (`integration`, the
   * reason of §8 for a key that authenticated but may not do this, kept out of failed-authentication bursts).
   */
  private async apiKeyAtMcp(
    key: ReturnType<typeof parseAuthorization>,
    keyPrefix: string | undefined,
  ): Promise<Omit<AuthFailure, 'status'>> {
    if (key.kind !== 'token') return { reason: 'unknown', keyPrefix };
    let verified: VerifiedKey | null;
    try {
      verified = await this.verifier.verify(sha256Hex(key.token));
    } catch (error) {
      // NATS is down: the answer does not depend on the key, so it is not refused as unavailable.
      if (error instanceof RpcCallError) return { reason: 'unknown', keyPrefix };
      throw error;
    }
    if (!verified) return { reason: 'unknown', keyPrefix };
    const attribution = { keyPrefix: verified.key.key_prefix, keyId: verified.key.id, accountId: verified.account.id };
    return { reason: keyRefusal(verified, Date.now()) ?? 'integration', ...attribution };
  }

  private async authenticateOAuth(request: Request, response: Response): Promise<Identity> {
    const origin = publicOrigin(request, this.trustedProxies, this.config.PUBLIC_URL);
    const metadata = resourceMetadataUrl(origin);
    if (request.headers.authorization === undefined) {
      this.fail(request, { reason: 'missing', status: HttpStatus.UNAUTHORIZED });
      throw AuthProblems.required(
        'send `Authorization: Bearer <access token>`: connect your MCP client through its OAuth sign-in',
        metadata,
      );
    }
    const bearer = bearerToken(request.headers.authorization);
    // Tokens this server issues are told apart by their prefix: a refresh token is no access token, and an
    // access token of the wrong shape is malformed; anything else (an API key above all) is not OAuth.
    if (bearer?.startsWith('vxr_')) {
      this.fail(request, { reason: 'unknown', status: HttpStatus.UNAUTHORIZED });
      throw AuthProblems.invalidAccessToken(metadata, 'a refresh token cannot be used here: send the access token');
    }
    if (bearer?.startsWith('vxo_') && !ACCESS_TOKEN.test(bearer)) {
      this.fail(request, { reason: 'malformed', status: HttpStatus.UNAUTHORIZED });
      throw AuthProblems.malformed(
        'the access token is not vxo_ and 64 hex characters: check for copy-paste errors',
        metadata,
      );
    }
    const parsed = bearer !== undefined && ACCESS_TOKEN.test(bearer) ? bearer : undefined;
    if (parsed === undefined) {
      const key = parseAuthorization(request.headers.authorization);
      const keyPrefix = key.kind === 'missing' ? undefined : key.keyPrefix || undefined;
      if (key.kind === 'malformed') {
        this.fail(request, { reason: 'malformed', status: HttpStatus.UNAUTHORIZED, keyPrefix });
        throw AuthProblems.malformed(key.detail.replace(/vxk_…/g, '<access token>'), metadata);
      }
      this.fail(request, { status: HttpStatus.UNAUTHORIZED, ...(await this.apiKeyAtMcp(key, keyPrefix)) });
      throw AuthProblems.oauthRequired(metadata);
    }
    let token: VerifiedAccessToken | ExpiredAccessToken | null;
    try {
      token = await this.rpc.request<VerifiedAccessToken | ExpiredAccessToken | null>(OAuthRpc.verifyAccessToken, {
        token_hash: sha256Hex(parsed),
      });
    } catch (error) {
      if (error instanceof RpcCallError) throw AuthProblems.unavailable();
      throw error;
    }
    if (token && 'refused' in token) {
      // The same answer as for an unknown token (no oracle); the audit trail records which.
      this.fail(request, { reason: 'expired', status: HttpStatus.UNAUTHORIZED, accountId: token.account_id });
      throw AuthProblems.invalidAccessToken(metadata);
    }
    if (!token || !sameResource(token.resource, mcpResource(origin))) {
      this.fail(request, { reason: 'unknown', status: HttpStatus.UNAUTHORIZED, accountId: token?.account.id });
      throw AuthProblems.invalidAccessToken(
        metadata,
        token ? 'the access token was issued for another resource' : undefined,
      );
    }
    const { account } = token;
    if (account.status !== 'active') {
      this.fail(request, { reason: 'suspended', status: HttpStatus.FORBIDDEN, accountId: account.id });
      throw AuthProblems.suspended();
    }
    if (this.limiter.needsPriming(account.id)) await this.rateLimitSync.prime(account.id);
    this.consumeHourlyLimit(request, response, account);
    this.recordTokenUseWhenSent(request, response, token);
    return { kind: 'oauth', account, grantId: token.grant_id, clientId: token.client_id, scopes: token.scopes };
  }

  /** `X-VibeXP-Integration` when sent (only ai_tools or cli), otherwise the route's own. */
  private neededIntegration(request: Request, policy: AccessPolicy): Integration {
    const declared = request.headers['x-vibexp-integration'];
    if (declared !== undefined) {
      const value = String(declared).trim() as Integration;
      if (!DECLARABLE_INTEGRATIONS.has(value)) {
        throw new ProblemError(
          HttpStatus.BAD_REQUEST,
          'VALIDATION_FAILED',
          'X-VibeXP-Integration must be ai_tools or cli',
          {
            validationErrors: [{ field: 'X-VibeXP-Integration', message: 'must be one of: ai_tools, cli' }],
          },
        );
      }
      if (!(policy.mode === 'session_or_key' && policy.fixed)) return value;
    }
    return (policy.mode === 'session_or_key' && policy.integration) || 'cli';
  }

  private async authenticateSession(request: Request, response: Response, evenSuspended: boolean): Promise<Identity> {
    const token = readSessionCookie(request) ?? '';
    const secure = isHttps(request, this.trustedProxies);
    let session: VerifiedSession | null = null;
    if (/^[0-9a-f]{64}$/.test(token)) {
      try {
        session = await this.rpc.request<VerifiedSession | null>(KeysRpc.verifySession, {
          token_hash: sha256Hex(token),
        });
      } catch (error) {
        if (error instanceof RpcCallError) throw AuthProblems.unavailable();
        throw error;
      }
    }
    if (!session) {
      clearSessionCookie(response, secure);
      throw AuthProblems.required('your session has ended: sign in again');
    }
    if (session.account.status !== 'active' && !evenSuspended) throw AuthProblems.suspended();
    if (!SAFE_METHODS.has(request.method)) {
      const csrf = request.headers['x-csrf-token'];
      if (typeof csrf !== 'string' || !safeEqualHex(sha256Hex(csrf), session.csrf_token_hash))
        throw AuthProblems.csrf();
    }
    writeSessionCookie(response, token, session.expires_at, secure);
    return {
      kind: 'session',
      account: session.account,
      sessionId: session.session_id,
      sessionExpiresAt: session.expires_at,
    };
  }

  private setRateHeaders(response: Response, decision: RateDecision): Record<string, string> {
    const headers = rateLimitHeaders(decision);
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    return headers;
  }

  /** The usage facts of PRODUCT.md §7 for this request: IP, location, tool type, client, action. */
  private usage(request: Request): RequestUsage {
    const meta = requestMeta(request, this.trustedProxies);
    const ip = meta.ip ?? '';
    const declared = request.headers['x-vibexp-integration'];
    const route = routeOf(request);
    return {
      meta,
      ip,
      ...this.geo.place(ip),
      ...classify({
        method: request.method,
        route,
        path: request.path,
        userAgent: meta.user_agent,
        declaredIntegration: typeof declared === 'string' ? declared.trim() : undefined,
      }),
    };
  }

  private fail(request: Request, failure: AuthFailure): void {
    this.events.failed(failure, this.usage(request));
  }

  /** One `oauth_token.used` per accepted MCP request, when its answer is sent, named by what it asked. */
  private recordTokenUseWhenSent(request: Request, response: Response, token: VerifiedAccessToken): void {
    this.whenSent(request, response, (answer, usage) => {
      const asked = mcpRequestFacts(request.body);
      this.events.tokenUsed(
        {
          ...answer,
          grantId: token.grant_id,
          clientId: token.client_id,
          accountId: token.account.id,
          action: asked.action,
          mcpMethod: asked.mcp_method,
          mcpTool: asked.mcp_tool,
          errorCode: mcpErrorOf(request),
        },
        usage,
      );
    });
  }

  private recordUseWhenSent(
    request: Request,
    response: Response,
    keyId: string,
    keyPrefix: string,
    accountId: string,
    integration: Integration | null,
  ): void {
    this.whenSent(request, response, (answer, usage) =>
      this.events.used({ ...answer, keyId, keyPrefix, accountId, integration }, usage),
    );
  }

  /**
   * Calls `record` once the answer is sent, with what it was, or once the client went away before it (499: the
   * request was admitted and counted, so it is recorded too). The usage facts are read now, while the request is
   * whole.
   */
  private whenSent(
    request: Request,
    response: Response,
    record: (answer: RequestAnswer, usage: RequestUsage) => void,
  ): void {
    const startedAt = process.hrtime.bigint();
    const usage = this.usage(request);
    whenAnswered(response, (status) =>
      record(
        {
          status,
          method: request.method,
          route: routeOf(request),
          latencyMs: Number((process.hrtime.bigint() - startedAt) / 1000n) / 1000,
        },
        usage,
      ),
    );
  }
}
