/**
 * `vibexp auth login --web` sends the browser to `#/cli/authorize?port=…&state=…&code_challenge=…&name=…`.
 * Pure, unit-tested: what the page may do with that address.
 */
export interface CliLoginRequest {
  port: number;
  state: string;
  code_challenge: string;
  name: string;
}

/** The CLI's request, or null when the address is not one the CLI makes (then the page offers nothing). */
export function cliLoginRequest(search: string): CliLoginRequest | null {
  const params = new URLSearchParams(search);
  const port = params.get('port') ?? '';
  const state = params.get('state') ?? '';
  const challenge = params.get('code_challenge') ?? '';
  const name = (params.get('name') ?? '').trim().slice(0, 255);
  if (!/^\d{4,5}$/.test(port) || Number(port) < 1024 || Number(port) > 65535) return null;
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(state) || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) return null;
  return { port: Number(port), state, code_challenge: challenge, name: name || 'vibexp CLI' };
}

/** Where Cancel sends the browser: the CLI's own server, which then stops without a key. */
export function cancelTarget(request: CliLoginRequest): string {
  const query = new URLSearchParams({ error: 'access_denied', state: request.state });
  return `http://127.0.0.1:${request.port}/callback?${query}`;
}

/** The gateway's answer must lead to the CLI's server on this computer, and nowhere else. */
export function isCliCallback(target: string, request: CliLoginRequest): boolean {
  try {
    const url = new URL(target);
    return url.origin === `http://127.0.0.1:${request.port}` && url.pathname === '/callback';
  } catch {
    return false;
  }
}

/** The code the CLI prints beside the address (apps/cli web-login `confirmationCode`): from its PKCE challenge. */
export function confirmationCode(request: CliLoginRequest): string {
  return `${request.code_challenge.slice(0, 4)}-${request.code_challenge.slice(4, 8)}`;
}

/** How long a key made for the CLI works; 90 days unless the user picks otherwise (a CLI logs in again easily). */
export const CLI_KEY_LIFETIMES = [
  { label: '30 days', days: 30 },
  { label: '90 days', days: 90 },
  { label: '1 year', days: 365 },
  { label: 'No expiry', days: 0 },
] as const;
export const DEFAULT_CLI_KEY_DAYS = 90;

/** The `expires_at` of the approval for a lifetime in days (0: none), from `now`. */
export function keyExpiry(days: number, now: Date): string | undefined {
  return days > 0 ? new Date(now.getTime() + days * 86_400_000).toISOString() : undefined;
}
