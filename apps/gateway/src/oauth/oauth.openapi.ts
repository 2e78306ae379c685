import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  type ApiBodyOptions,
  ApiConsumes,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { OAUTH_ACCESS_TOKEN_TTL_S, OAUTH_CODE_TTL_S, OAUTH_SCOPES, OAUTH_SCOPE_NAMES } from '#contracts';
import { OAUTH_ERROR_CODES } from './oauth-protocol';

/*
 * How the OAuth protocol routes and the MCP endpoint appear in /api/openapi.json. Their handlers read the
 * raw request (forms, JSON-RPC) rather than a DTO, so Swagger cannot infer what they take and answer:
 * these decorators say it. Their protocol errors are RFC 6749 JSON, not problem+json; throttling (429) and
 * an unreachable key-service (503) are problem+json like everywhere else (the document's `default`).
 */

/** An inline schema (the package does not export its own type for one). */
type SchemaObject = Exclude<Extract<ApiBodyOptions, { schema: unknown }>['schema'], { $ref: string }>;

const OAUTH_ERROR: SchemaObject = {
  type: 'object',
  description: 'An OAuth error (RFC 6749 §5.2, RFC 7591 §3.2.2)',
  required: ['error', 'error_description'],
  properties: {
    error: { type: 'string', enum: [...OAUTH_ERROR_CODES] },
    error_description: { type: 'string' },
  },
};

const SCOPE: SchemaObject = {
  type: 'string',
  description: `Space-separated scopes: ${OAUTH_SCOPE_NAMES.map((name) => `\`${name}\` (${OAUTH_SCOPES[name]})`).join(', ')}`,
  example: OAUTH_SCOPE_NAMES.join(' '),
};

const NO_STORE = { 'Cache-Control': { description: '`no-store`', schema: { type: 'string' } } };

function oauthError(status: number, description: string) {
  return ApiResponse({ status, description, content: { 'application/json': { schema: OAUTH_ERROR } } });
}

/** A body the route takes as a form (RFC 6749) or, for clients that send one, as JSON: the same fields. */
function formOrJsonBody(schema: SchemaObject) {
  return applyDecorators(
    ApiConsumes('application/x-www-form-urlencoded', 'application/json'),
    ApiBody({ required: true, schema }),
  );
}

export const OAuthApiTag = () => ApiTags('oauth');

export const AuthorizationServerMetadataDoc = () =>
  applyDecorators(
    ApiOperation({ summary: 'OAuth authorization server metadata (RFC 8414)' }),
    ApiResponse({
      status: 200,
      description: 'issuer, endpoints, PKCE method S256, public clients (`none`), scopes',
      schema: {
        type: 'object',
        properties: {
          issuer: { type: 'string', format: 'uri' },
          authorization_endpoint: { type: 'string', format: 'uri' },
          token_endpoint: { type: 'string', format: 'uri' },
          registration_endpoint: { type: 'string', format: 'uri' },
          revocation_endpoint: { type: 'string', format: 'uri' },
          code_challenge_methods_supported: { type: 'array', items: { type: 'string', enum: ['S256'] } },
          scopes_supported: { type: 'array', items: { type: 'string', enum: OAUTH_SCOPE_NAMES } },
        },
        additionalProperties: true,
      },
    }),
  );

export const ProtectedResourceMetadataDoc = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Protected resource metadata of the MCP endpoint (RFC 9728)',
      description: 'Served at the path-suffixed address of `/mcp/v1/common` and at the bare one; the same document.',
    }),
    ApiResponse({
      status: 200,
      description: 'the MCP resource, this server as its authorization server, scopes',
      schema: {
        type: 'object',
        properties: {
          resource: { type: 'string', format: 'uri' },
          authorization_servers: { type: 'array', items: { type: 'string', format: 'uri' } },
          scopes_supported: { type: 'array', items: { type: 'string', enum: OAUTH_SCOPE_NAMES } },
          bearer_methods_supported: { type: 'array', items: { type: 'string', enum: ['header'] } },
        },
        additionalProperties: true,
      },
    }),
  );

const CLIENT_METADATA: SchemaObject = {
  type: 'object',
  required: ['redirect_uris'],
  properties: {
    redirect_uris: {
      type: 'array',
      minItems: 1,
      maxItems: 10,
      items: { type: 'string' },
      description:
        'https, http on the loopback (any port is accepted later, RFC 8252 §7.3) or a private-use app scheme; no fragment or credentials',
    },
    client_name: { type: 'string', maxLength: 100, default: 'MCP client' },
    client_uri: { type: 'string', format: 'uri' },
    token_endpoint_auth_method: { type: 'string', enum: ['none'], default: 'none' },
    grant_types: {
      type: 'array',
      items: { type: 'string', enum: ['authorization_code', 'refresh_token'] },
      default: ['authorization_code', 'refresh_token'],
    },
    response_types: { type: 'array', items: { type: 'string', enum: ['code'] }, default: ['code'] },
    scope: SCOPE,
  },
  additionalProperties: true,
};

export const RegisterClientDoc = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Register a public OAuth client (RFC 7591)',
      description:
        'Anonymous, throttled per address (per /64 for IPv6). Unknown fields are ignored; a client unused for 30 days is forgotten.',
    }),
    ApiBody({ schema: CLIENT_METADATA }),
    ApiResponse({
      status: 201,
      description: 'the client as registered',
      headers: NO_STORE,
      schema: {
        type: 'object',
        properties: {
          ...CLIENT_METADATA.properties,
          client_id: { type: 'string', format: 'uuid' },
          client_id_issued_at: { type: 'integer', description: 'seconds since the epoch' },
        },
      },
    }),
    oauthError(400, '`invalid_redirect_uri` or `invalid_client_metadata`'),
  );

export const AuthorizeDoc = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Authorization endpoint: code with PKCE S256',
      description:
        'Sends the browser to the dashboard, which signs the user in and asks for consent, then redirects to the client with `code`, `state` and `iss`. An error goes straight to the client only for a loopback redirect URI; otherwise the dashboard shows it.',
    }),
    ...[
      ['response_type', true, 'code'],
      ['client_id', true, undefined],
      ['code_challenge', true, 'BASE64URL(SHA-256(code_verifier))'],
      ['code_challenge_method', true, 'S256'],
      ['redirect_uri', false, 'required when the client registered several'],
      ['state', false, undefined],
      ['scope', false, 'space-separated; all scopes when left out'],
      ['resource', false, 'the MCP URL (RFC 8707)'],
    ].map(([name, required, description]) =>
      ApiQuery({
        name: name as string,
        required: required as boolean,
        description: description as string,
        type: String,
      }),
    ),
    ApiResponse({
      status: 302,
      description: 'to `/#/oauth/authorize?…` (sign-in and consent), or an error to a loopback redirect URI',
      headers: { Location: { schema: { type: 'string' } }, ...NO_STORE },
    }),
  );

export const TokenDoc = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Token endpoint: exchange a code (with its PKCE verifier) or a refresh token',
      description: `Access tokens (\`vxo_…\`) last ${OAUTH_ACCESS_TOKEN_TTL_S} s and work only at the MCP endpoint; refresh tokens (\`vxr_…\`) rotate on every use, and a used one presented again revokes the grant (an \`oauth_token_reuse\` alert). A code works once, for ${OAUTH_CODE_TTL_S} s. Throttled per address.`,
    }),
    formOrJsonBody({
      type: 'object',
      required: ['grant_type', 'client_id'],
      properties: {
        grant_type: { type: 'string', enum: ['authorization_code', 'refresh_token'] },
        client_id: { type: 'string', format: 'uuid' },
        code: { type: 'string', description: 'authorization_code' },
        code_verifier: { type: 'string', minLength: 43, maxLength: 128, description: 'authorization_code' },
        redirect_uri: { type: 'string', description: 'authorization_code, when the request named one' },
        refresh_token: { type: 'string', description: 'refresh_token' },
        scope: { ...SCOPE, description: 'refresh_token: may only narrow the granted scopes' },
        resource: { type: 'string', description: 'the MCP URL (RFC 8707)' },
      },
    }),
    ApiResponse({
      status: 200,
      description: 'the tokens',
      headers: NO_STORE,
      schema: {
        type: 'object',
        required: ['access_token', 'token_type', 'expires_in', 'refresh_token', 'scope'],
        properties: {
          access_token: { type: 'string', pattern: '^vxo_[0-9a-f]{64}$' },
          token_type: { type: 'string', enum: ['Bearer'] },
          expires_in: { type: 'integer', example: OAUTH_ACCESS_TOKEN_TTL_S },
          refresh_token: { type: 'string', pattern: '^vxr_[0-9a-f]{64}$' },
          scope: SCOPE,
        },
      },
    }),
    oauthError(400, '`invalid_request`, `invalid_grant`, `unsupported_grant_type`, `invalid_scope`, `invalid_target`'),
    oauthError(401, '`invalid_client`: not a registered client (register again)'),
  );

export const RevokeDoc = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Revoke a refresh or access token, and its grant (RFC 7009)',
      description: '200 whether or not the token was known, so the answer tells nothing about it.',
    }),
    formOrJsonBody({
      type: 'object',
      required: ['token'],
      properties: {
        token: { type: 'string' },
        token_type_hint: { type: 'string', enum: ['refresh_token', 'access_token'] },
        client_id: { type: 'string', format: 'uuid' },
      },
    }),
    ApiResponse({ status: 200, description: 'revoked, or unknown', headers: NO_STORE }),
    oauthError(400, '`invalid_request`: no token'),
    oauthError(401, '`invalid_client`'),
  );

const JSON_RPC_ID: SchemaObject = { oneOf: [{ type: 'string' }, { type: 'integer' }] };

export const McpEndpointDoc = () =>
  applyDecorators(
    ApiTags('mcp'),
    ApiOperation({
      summary: 'The MCP endpoint (Streamable HTTP, MCP 2025-06-18, stateless)',
      description:
        'One JSON-RPC 2.0 message per POST, one JSON answer (no event stream: GET and DELETE are 405). Methods: `initialize`, `ping`, `tools/list`, `tools/call` (search; get, create, update of memories, artifacts and prompts; render_prompt), `prompts/list`, `prompts/get` (published prompts with `mcp_expose`). Write tools need `content:write`. Takes OAuth access tokens only: an API key is 401 `OAUTH_REQUIRED`; every 401 names the protected resource metadata in `WWW-Authenticate`. Counts against the account’s hourly limit.',
    }),
    ApiProduces('application/json'),
    ApiBody({
      schema: {
        type: 'object',
        required: ['jsonrpc', 'method'],
        properties: {
          jsonrpc: { type: 'string', enum: ['2.0'] },
          id: JSON_RPC_ID,
          method: { type: 'string', example: 'tools/call' },
          params: { type: 'object', additionalProperties: true },
        },
      },
    }),
    ApiResponse({
      status: 200,
      description: 'the JSON-RPC answer: `result`, or `error` (a refused tool call is a `result` with `isError`)',
      schema: {
        type: 'object',
        properties: {
          jsonrpc: { type: 'string', enum: ['2.0'] },
          id: { ...JSON_RPC_ID, nullable: true },
          result: { type: 'object', additionalProperties: true },
          error: {
            type: 'object',
            properties: { code: { type: 'integer' }, message: { type: 'string' } },
          },
        },
      },
    }),
    ApiResponse({ status: 202, description: 'a notification or a response: nothing to answer' }),
    ApiResponse({
      status: 401,
      description: 'no token, or not a valid access token for this resource (problem+json)',
      headers: {
        'WWW-Authenticate': {
          description: 'Bearer …, resource_metadata="<origin>/.well-known/oauth-protected-resource/mcp/v1/common"',
          schema: { type: 'string' },
        },
      },
    }),
    ApiResponse({ status: 403, description: '`insufficient_scope` for a write tool without `content:write`' }),
  );
