/**
 * The OAuth authorization request of an MCP client (PRODUCT.md §14), as the gateway hands it to the dashboard:
 * `/oauth/authorize?<query>` redirects to `#/oauth/authorize?<query>`. Pure, unit-tested.
 */
import type { OAuthDecision, OAuthDecisionRequest } from './types';

const CONSENT_PATH = '/oauth/authorize';

/** The query of the consent page's route (without `?`), or null when the route is another page. */
export function consentQuery(route: string): string | null {
  const mark = route.indexOf('?');
  const path = mark === -1 ? route : route.slice(0, mark);
  if (path !== CONSENT_PATH) return null;
  return mark === -1 ? '' : route.slice(mark + 1);
}

/** A client with one registered redirect URI may leave it out of the request (OAuth 2.1 §4.1.1). */
const OPTIONAL = ['redirect_uri', 'state', 'scope', 'resource'] as const;

/** The body of the user's answer: the request's own parameters, the optional ones only when it has them. */
export function decisionBody(query: string, decision: OAuthDecision): OAuthDecisionRequest {
  const params = new URLSearchParams(query);
  const required = (name: string) => params.get(name) ?? '';
  const body: OAuthDecisionRequest = {
    client_id: required('client_id'),
    response_type: required('response_type'),
    code_challenge: required('code_challenge'),
    code_challenge_method: required('code_challenge_method'),
    decision,
  };
  for (const name of OPTIONAL) {
    const value = params.get(name);
    if (value !== null) body[name] = value;
  }
  return body;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * Where the answer goes, as a user can check it: the host of a web address (`app.example.com`), the scheme
 * too for an app's own (`cursor://anysphere.cursor-retrieval`), and whether it is a program on this computer.
 */
export function redirectTarget(uri: string): { host: string; onThisComputer: boolean } {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { host: uri, onThisComputer: false };
  }
  const web = url.protocol === 'http:' || url.protocol === 'https:';
  const host = web ? url.host : url.host ? `${url.protocol}//${url.host}` : url.protocol;
  return { host, onThisComputer: web && LOOPBACK.test(url.hostname) };
}

/** An app's name as it registered it, or its client id when the name is blank. */
export function appName(client: { client_id: string; client_name: string }): string {
  return client.client_name.trim() || client.client_id;
}
