import { Controller, Get, HttpStatus, Inject, Post, Req, Res } from '@nestjs/common';
import type { BlockList } from 'node:net';
import type { Request, Response } from 'express';
import {
  OAUTH_ACCESS_TOKEN_TTL_S,
  OAUTH_SCOPE_NAMES,
  type OAuthClientView,
  OAuthRpc,
  type OAuthTokenOutcome,
  containsPastedKey,
  isUuid,
  maskPastedKeys,
} from '#contracts';
import { BEARER_CHALLENGE, redactText } from '#common';
import { GatewayEnv } from '../config/gateway.env';
import { FixedWindowLimiter } from '../http/fixed-window-limiter';
import { requestClientIp } from '../http/client-address';
import { TRUSTED_PROXIES, commandMeta } from '../http/request-meta';
import { RpcClient } from '../rpc/rpc-client';
import { Access } from '../auth/access.decorator';
import { sha256Hex } from '../auth/api-key-format';
import { AuthorizationRequests } from './authorization-requests';
import {
  AuthorizationServerMetadataDoc,
  AuthorizeDoc,
  OAuthApiTag,
  ProtectedResourceMetadataDoc,
  RegisterClientDoc,
  RevokeDoc,
  TokenDoc,
} from './oauth.openapi';
import {
  AUTHORIZATION_PARAM_NAMES,
  type OAuthErrorCode,
  CODE_VERIFIER,
  MCP_PATH,
  mcpResource,
  newAccessToken,
  newRefreshToken,
  parseScopes,
  publicOrigin,
  readParams,
  HOLDS_A_KEY,
  redirectUriProblem,
  isLoopbackRedirect,
  s256,
  sameResource,
  throttleKey,
  withQuery,
} from './oauth-protocol';

/** Client registrations per address and hour: registration is unauthenticated (RFC 7591 open registration). */
const REGISTRATIONS_PER_HOUR = 30;
/** Token requests per address and minute. */
const TOKEN_REQUESTS_PER_MINUTE = 120;
const GRANT_TYPES = ['authorization_code', 'refresh_token'];
/** Printable text: no control characters, and no format characters (bidirectional overrides would let a name read backwards). */
const CLIENT_NAME = /^[^\p{Cc}\p{Cf}]{1,100}$/u;
/** Longest value of a token request's parameters: codes and tokens are 43 to 68 characters, URIs at most 2000. */
const MAX_PARAMETER_LENGTH = 2000;

/** RFC 6749 §5.2: OAuth endpoints answer errors as `{ error, error_description }`, never problem+json. */
function sendOAuthError(response: Response, status: number, error: OAuthErrorCode, description: string): void {
  response.status(status).setHeader('Cache-Control', 'no-store');
  if (status === HttpStatus.UNAUTHORIZED) response.setHeader('WWW-Authenticate', BEARER_CHALLENGE);
  response.json({ error, error_description: description });
}

/**
 * The OAuth 2.1 authorization server of the MCP endpoint (PRODUCT.md §14): metadata (RFC 8414, RFC
 * 9728), dynamic registration of public clients (RFC 7591), the authorization endpoint (login and
 * consent happen in the dashboard), the token endpoint (code + PKCE S256, rotating refresh tokens,
 * audience-bound to the MCP URL, RFC 8707) and revocation (RFC 7009). Codes and tokens are made here;
 * key-service stores only their hashes.
 */
@OAuthApiTag()
@Access({ mode: 'public' })
@Controller()
export class OAuthController {
  private readonly registrations = new FixedWindowLimiter(REGISTRATIONS_PER_HOUR, 3_600_000, 'client registrations');
  private readonly tokenRequests = new FixedWindowLimiter(TOKEN_REQUESTS_PER_MINUTE, 60_000, 'token requests');

  constructor(
    private readonly rpc: RpcClient,
    private readonly requests: AuthorizationRequests,
    private readonly config: GatewayEnv,
    @Inject(TRUSTED_PROXIES) private readonly trusted: BlockList,
  ) {}

  private origin(request: Request): string {
    return publicOrigin(request, this.trusted, this.config.PUBLIC_URL);
  }

  /** The MCP resource in our spelling when the client's names it (RFC 8707), else the client's as sent. */
  private normalizedResource(resource: string, request: Request): string {
    const ours = mcpResource(this.origin(request));
    return sameResource(resource, ours) ? ours : resource;
  }

  /** RFC 8414. */
  @Get('.well-known/oauth-authorization-server')
  @AuthorizationServerMetadataDoc()
  authorizationServerMetadata(@Req() request: Request) {
    const origin = this.origin(request);
    return {
      issuer: origin,
      authorization_endpoint: `${origin}/oauth/authorize`,
      token_endpoint: `${origin}/oauth/token`,
      registration_endpoint: `${origin}/oauth/register`,
      revocation_endpoint: `${origin}/oauth/revoke`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: GRANT_TYPES,
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      scopes_supported: OAUTH_SCOPE_NAMES,
      authorization_response_iss_parameter_supported: true,
      service_documentation: `${origin}/api/docs`,
    };
  }

  /** RFC 9728, at the path-suffixed address of the MCP endpoint and at the bare one. */
  @Get(['.well-known/oauth-protected-resource', `.well-known/oauth-protected-resource${MCP_PATH}`])
  @ProtectedResourceMetadataDoc()
  protectedResourceMetadata(@Req() request: Request) {
    const origin = this.origin(request);
    return {
      resource: mcpResource(origin),
      authorization_servers: [origin],
      scopes_supported: OAUTH_SCOPE_NAMES,
      bearer_methods_supported: ['header'],
      resource_name: 'VibeXP MCP',
      resource_documentation: `${origin}/api/docs`,
    };
  }

  /** RFC 7591 dynamic registration, public clients only (no secret: `token_endpoint_auth_method: none`). */
  @Post('oauth/register')
  @RegisterClientDoc()
  async register(@Req() request: Request, @Res() response: Response): Promise<void> {
    this.registrations.hit(throttleKey(requestClientIp(request, this.trusted)));
    const metadata = (request.body ?? {}) as Record<string, unknown>;
    if (typeof metadata !== 'object' || Array.isArray(metadata))
      return sendOAuthError(response, 400, 'invalid_client_metadata', 'the body must be a JSON object');
    const uris = metadata.redirect_uris;
    if (!Array.isArray(uris) || uris.length === 0 || uris.length > 10 || uris.some((uri) => typeof uri !== 'string'))
      return sendOAuthError(response, 400, 'invalid_redirect_uri', 'redirect_uris must list 1 to 10 URIs');
    for (const uri of uris as string[]) {
      const problem = redirectUriProblem(uri);
      if (problem)
        return sendOAuthError(
          response,
          400,
          'invalid_redirect_uri',
          `${problem === HOLDS_A_KEY ? 'a redirect URI' : `redirect URI "${redactText(uri).slice(0, 200)}"`} ${problem}`,
        );
    }
    const refuse = (description: string) => sendOAuthError(response, 400, 'invalid_client_metadata', description);
    const authMethod = metadata.token_endpoint_auth_method ?? 'none';
    if (authMethod !== 'none')
      return refuse(
        'only public clients can register: token_endpoint_auth_method must be "none" (PKCE protects the code)',
      );
    const grantTypes = metadata.grant_types ?? GRANT_TYPES;
    if (
      !Array.isArray(grantTypes) ||
      !grantTypes.includes('authorization_code') ||
      grantTypes.some((type) => !GRANT_TYPES.includes(type as string))
    )
      return refuse('grant_types must include authorization_code and may add refresh_token');
    const responseTypes = metadata.response_types ?? ['code'];
    if (!Array.isArray(responseTypes) || responseTypes.some((type) => type !== 'code'))
      return refuse('response_types may only be ["code"]');
    const name = metadata.client_name ?? 'MCP client';
    if (typeof name !== 'string' || !CLIENT_NAME.test(name.trim()))
      return refuse('client_name must be 1 to 100 characters without control or formatting characters');
    const clientUri = metadata.client_uri;
    if (clientUri !== undefined && (typeof clientUri !== 'string' || !/^https?:\/\/[^\s]{1,1990}$/.test(clientUri)))
      return refuse('client_uri must be an http(s) URL');
    if (containsPastedKey(clientUri ?? '')) return refuse('client_uri must not hold an API key or token');
    if (metadata.scope !== undefined && (typeof metadata.scope !== 'string' || !parseScopes(metadata.scope)))
      return refuse(`scope may name only: ${OAUTH_SCOPE_NAMES.join(' ')}`);

    const client = await this.rpc.request<OAuthClientView>(OAuthRpc.registerClient, {
      // A key pasted as the app's name is masked as in any text people write (it is stored and shown).
      client_name: maskPastedKeys(name.trim()),
      redirect_uris: uris,
      ...(clientUri === undefined ? {} : { client_uri: clientUri }),
      meta: commandMeta(request, this.trusted),
    });
    response
      .status(HttpStatus.CREATED)
      .setHeader('Cache-Control', 'no-store')
      .json({
        client_id: client.client_id,
        client_id_issued_at: Math.floor(Date.parse(client.created_at) / 1000),
        client_name: client.client_name,
        redirect_uris: client.redirect_uris,
        ...(client.client_uri ? { client_uri: client.client_uri } : {}),
        // What is registered (RFC 7591 §3.2.1: the server's values, not the request's): every client may
        // refresh, and may ask for any scope at authorization.
        grant_types: GRANT_TYPES,
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        scope: OAUTH_SCOPE_NAMES.join(' '),
      });
  }

  /**
   * The authorization endpoint: the request goes to the dashboard's sign-in and consent page, which shows
   * it, or shows why it cannot be granted. An error goes straight back to the client only when its redirect
   * URI is on this machine's loopback (a native app waiting for the answer): registration is anonymous, so
   * sending errors to any registered https URI without a user's action would make this an open redirector
   * (RFC 9700 §4.11.2).
   */
  @Get('oauth/authorize')
  @AuthorizeDoc()
  async authorize(@Req() request: Request, @Res() response: Response): Promise<void> {
    response.setHeader('Cache-Control', 'no-store');
    const query = request.originalUrl.includes('?')
      ? request.originalUrl.slice(request.originalUrl.indexOf('?') + 1)
      : '';
    const toConsentPage = () => response.redirect(HttpStatus.FOUND, `/#/oauth/authorize?${query}`);
    const read = readParams(request.query, AUTHORIZATION_PARAM_NAMES);
    // A parameter sent twice: the consent page asks again and shows which (readParams there refuses it).
    if (!('params' in read)) return toConsentPage();
    const check = await this.requests.check(read.params, this.origin(request));
    if (check.kind !== 'redirectable' || !isLoopbackRedirect(check.redirectUri)) return toConsentPage();
    response.redirect(
      HttpStatus.FOUND,
      withQuery(check.redirectUri, {
        error: check.error,
        error_description: check.description,
        state: read.params.state,
        iss: this.origin(request),
      }),
    );
  }

  /** RFC 6749 §3.2 / OAuth 2.1 §3.2: authorization_code (with PKCE) and refresh_token grants. */
  @Post('oauth/token')
  @TokenDoc()
  async token(@Req() request: Request, @Res() response: Response): Promise<void> {
    this.tokenRequests.hit(throttleKey(requestClientIp(request, this.trusted)));
    const read = readParams(request.body, [
      'grant_type',
      'code',
      'redirect_uri',
      'client_id',
      'code_verifier',
      'refresh_token',
      'scope',
      'resource',
    ] as const);
    if (!('params' in read)) {
      const name = 'repeated' in read ? read.repeated : read.notString;
      return sendOAuthError(response, 400, 'invalid_request', `${name} must be sent once, as a string`);
    }
    const params = read.params;
    const tooLong = Object.entries(params).find(([, value]) => (value as string).length > MAX_PARAMETER_LENGTH);
    if (tooLong)
      return sendOAuthError(
        response,
        400,
        'invalid_request',
        `${tooLong[0]} is longer than ${MAX_PARAMETER_LENGTH} characters`,
      );
    if (!params.grant_type) return sendOAuthError(response, 400, 'invalid_request', 'grant_type is required');
    if (!GRANT_TYPES.includes(params.grant_type))
      return sendOAuthError(
        response,
        400,
        'unsupported_grant_type',
        'grant_type must be authorization_code or refresh_token',
      );
    if (!params.client_id) return sendOAuthError(response, 400, 'invalid_request', 'client_id is required');
    // An unknown client is invalid_client (401): a client that was forgotten registers again, rather than
    // sending its user back to a consent page that cannot know it.
    const client = isUuid(params.client_id)
      ? await this.rpc.request<OAuthClientView | null>(OAuthRpc.getClient, { client_id: params.client_id })
      : null;
    if (!client)
      return sendOAuthError(response, 401, 'invalid_client', 'client_id is not a registered client: register again');
    const meta = commandMeta(request, this.trusted);
    const accessToken = newAccessToken();
    const refreshToken = newRefreshToken();
    let outcome: OAuthTokenOutcome;
    if (params.grant_type === 'authorization_code') {
      if (!params.code) return sendOAuthError(response, 400, 'invalid_request', 'code is required');
      if (!params.code_verifier || !CODE_VERIFIER.test(params.code_verifier))
        return sendOAuthError(
          response,
          400,
          'invalid_request',
          'code_verifier is required: 43 to 128 characters (PKCE)',
        );
      outcome = await this.rpc.request<OAuthTokenOutcome>(OAuthRpc.exchangeCode, {
        code_hash: sha256Hex(params.code),
        client_id: params.client_id,
        ...(params.redirect_uri === undefined ? {} : { redirect_uri: params.redirect_uri }),
        code_challenge: s256(params.code_verifier),
        ...(params.resource === undefined ? {} : { resource: this.normalizedResource(params.resource, request) }),
        access_token_hash: sha256Hex(accessToken),
        refresh_token_hash: sha256Hex(refreshToken),
        meta,
      });
    } else {
      if (!params.refresh_token) return sendOAuthError(response, 400, 'invalid_request', 'refresh_token is required');
      let scopes;
      if (params.scope !== undefined) {
        scopes = parseScopes(params.scope);
        if (!scopes)
          return sendOAuthError(response, 400, 'invalid_scope', `scope may name only: ${OAUTH_SCOPE_NAMES.join(' ')}`);
      }
      outcome = await this.rpc.request<OAuthTokenOutcome>(OAuthRpc.refresh, {
        refresh_token_hash: sha256Hex(params.refresh_token),
        client_id: params.client_id,
        ...(scopes ? { scopes } : {}),
        ...(params.resource === undefined ? {} : { resource: this.normalizedResource(params.resource, request) }),
        access_token_hash: sha256Hex(accessToken),
        new_refresh_token_hash: sha256Hex(refreshToken),
        meta,
      });
    }
    if (!outcome.ok) return sendOAuthError(response, 400, outcome.error, outcome.error_description);
    response
      .status(HttpStatus.OK)
      .setHeader('Cache-Control', 'no-store')
      .setHeader('Pragma', 'no-cache')
      .json({
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: OAUTH_ACCESS_TOKEN_TTL_S,
        refresh_token: refreshToken,
        scope: outcome.scopes.join(' '),
      });
  }

  /** RFC 7009: 200 whether or not the token was known; 400 without a token, 401 for a client_id that cannot be a client. */
  @Post('oauth/revoke')
  @RevokeDoc()
  async revoke(@Req() request: Request, @Res() response: Response): Promise<void> {
    this.tokenRequests.hit(throttleKey(requestClientIp(request, this.trusted)));
    const read = readParams(request.body, ['token', 'token_type_hint', 'client_id'] as const);
    if (!('params' in read) || !read.params.token)
      return sendOAuthError(response, 400, 'invalid_request', 'token is required, once, as a string');
    const clientId = read.params.client_id;
    if (clientId !== undefined && !isUuid(clientId))
      return sendOAuthError(response, 401, 'invalid_client', 'client_id is not a registered client');
    await this.rpc.request(OAuthRpc.revokeToken, {
      token_hash: sha256Hex(read.params.token),
      ...(clientId ? { client_id: clientId } : {}),
      meta: commandMeta(request, this.trusted),
    });
    response.status(HttpStatus.OK).setHeader('Cache-Control', 'no-store').end();
  }
}
