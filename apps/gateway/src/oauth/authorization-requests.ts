import { HttpStatus, Injectable } from '@nestjs/common';
import {
  OAUTH_SCOPE_NAMES,
  type OAuthClientView,
  OAuthRpc,
  type OAuthScope,
  isUuid,
  redirectUriRegistered,
} from '#contracts';
import { RpcClient } from '../rpc/rpc-client';
import {
  type AuthorizationParams,
  CODE_CHALLENGE,
  mcpResource,
  parseScopes,
  redirectUriProblem,
  sameResource,
} from './oauth-protocol';

/** A request the user may be asked to consent to, with every default applied. */
export interface ValidAuthorization {
  kind: 'valid';
  client: OAuthClientView;
  redirectUri: string;
  /** The request named its redirect URI (rather than relying on the client's only one). */
  redirectUriGiven: boolean;
  codeChallenge: string;
  scopes: OAuthScope[];
  resource: string;
  state?: string;
}

export type AuthorizationCheck =
  | ValidAuthorization
  /** No trustworthy redirect URI: the error is shown to the user, never sent to the URI (RFC 6749 §4.1.2.1). */
  | { kind: 'not_redirectable'; status: HttpStatus; detail: string }
  /** The client and its redirect URI are fine: the error goes back to it (RFC 6749 §4.1.2.1). */
  | {
      kind: 'redirectable';
      redirectUri: string;
      error: 'invalid_request' | 'unsupported_response_type' | 'invalid_scope' | 'invalid_target';
      description: string;
    };

/**
 * Checks an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 8707): the same rules for the
 * authorization endpoint and for the dashboard's consent page, which shows and then answers it.
 */
@Injectable()
export class AuthorizationRequests {
  constructor(private readonly rpc: RpcClient) {}

  async check(params: AuthorizationParams, origin: string): Promise<AuthorizationCheck> {
    const client = isUuid(params.client_id)
      ? await this.rpc.request<OAuthClientView | null>(OAuthRpc.getClient, { client_id: params.client_id })
      : null;
    if (!client)
      return {
        kind: 'not_redirectable',
        status: HttpStatus.NOT_FOUND,
        detail: 'no MCP client is registered with this client_id: start the connection again from your MCP client',
      };
    // A client with one redirect URI may leave it out (OAuth 2.1 §4.1.1); with several it must choose.
    const redirectUri =
      params.redirect_uri ?? (client.redirect_uris.length === 1 ? client.redirect_uris[0] : undefined);
    // The requested URI is checked as a registered one is: the any-port loopback match must not let a
    // fragment or credentials in.
    if (!redirectUri || redirectUriProblem(redirectUri) || !redirectUriRegistered(client.redirect_uris, redirectUri))
      return {
        kind: 'not_redirectable',
        status: HttpStatus.BAD_REQUEST,
        detail: `redirect_uri is ${redirectUri ? 'not one the client registered' : 'required: the client registered several'}`,
      };
    const refuse = (
      error: 'invalid_request' | 'unsupported_response_type' | 'invalid_scope' | 'invalid_target',
      description: string,
    ) => ({ kind: 'redirectable', redirectUri, error, description }) as const;
    if (params.response_type !== 'code') return refuse('unsupported_response_type', 'response_type must be code');
    // The method first: a `plain` challenge is refused for its method, not mistaken for a missing one.
    if (params.code_challenge_method !== undefined && params.code_challenge_method !== 'S256')
      return refuse('invalid_request', 'code_challenge_method must be S256');
    if (!params.code_challenge)
      return refuse('invalid_request', 'code_challenge is required: the base64url SHA-256 of the code_verifier (PKCE)');
    if (!CODE_CHALLENGE.test(params.code_challenge))
      return refuse(
        'invalid_request',
        'code_challenge must be the base64url SHA-256 of the code_verifier: 43 characters of A-Z, a-z, 0-9, - and _',
      );
    if (params.code_challenge_method !== 'S256') return refuse('invalid_request', 'code_challenge_method must be S256');
    if (params.state !== undefined && params.state.length > 2048)
      return refuse('invalid_request', 'state is longer than 2048 characters');
    const scopes = parseScopes(params.scope);
    if (!scopes) return refuse('invalid_scope', `scope may name only ${OAUTH_SCOPE_NAMES.join(' ')}`);
    const resource = mcpResource(origin);
    if (params.resource !== undefined && !sameResource(params.resource, resource))
      return refuse('invalid_target', `resource must be ${resource}, the MCP endpoint`);
    return {
      kind: 'valid',
      client,
      redirectUri,
      redirectUriGiven: params.redirect_uri !== undefined,
      codeChallenge: params.code_challenge,
      scopes,
      resource,
      ...(params.state === undefined ? {} : { state: params.state }),
    };
  }
}
