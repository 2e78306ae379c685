import { createHash, randomBytes } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageError, option } from '../args';
import { canonicalBaseUrl } from '../client';
import type { Context } from '../context';
import { writeCredentials } from '../credentials';

/** How long `vibexp auth login --web` waits for the user to approve in the browser. */
export const WEB_LOGIN_WAIT_MS = 5 * 60_000;

/** The user said no in the browser, or never answered: exit 4, as for a refused key. */
export class LoginRefused extends Error {
  override readonly name = 'LoginRefused';
}

interface CreatedKey {
  full_key: string;
  key_prefix: string;
  api_key: { id: string; name: string; integrations: string[] };
}

// No icon to fetch: the browser would ask this server for /favicon.ico after the CLI has closed it.
const page = (title: string, text: string): string =>
  `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>${title}</title>` +
  `<body style="font-family:system-ui,sans-serif;margin:4rem auto;max-width:32rem"><h1>${title}</h1><p>${text}</p>`;

/** The CLI's answer page, sent once the login is over (or refused). */
type Reply = (title: string, text: string) => Promise<void>;

/**
 * The CLI's end of the browser login: a server on 127.0.0.1 (a port the system picks) that takes one answer
 * at `/callback` with this login's `state`. An answer with another state is not this login's (another tab,
 * another program): it is refused and the wait goes on. A request naming another host (a DNS-rebound page)
 * is refused. The browser's request is answered when the login is over, so that it tells the truth.
 */
async function awaitCallback(
  state: string,
): Promise<{ port: number; answer: Promise<{ code: string; reply: Reply }>; close: () => void }> {
  let settle!: { resolve: (answer: { code: string; reply: Reply }) => void; reject: (error: Error) => void };
  const answer = new Promise<{ code: string; reply: Reply }>((resolve, reject) => (settle = { resolve, reject }));
  let port = 0;
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, title: string, text: string): Promise<void> =>
      new Promise((resolve) => {
        response.once('close', () => resolve()); // a browser that went away does not hold the login up
        response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        response.end(page(title, text), () => resolve());
      });
    if (request.headers.host !== `127.0.0.1:${port}`) return void send(421, 'Wrong host', 'Not this server.');
    if (request.method !== 'GET' || url.pathname !== '/callback') return void send(404, 'Not found', 'Nothing here.');
    if (url.searchParams.get('state') !== state)
      return void send(400, 'Not this login', 'This answer is not for the login waiting in your terminal.');
    const given = url.searchParams.get('code');
    if (url.searchParams.has('error') || !given) {
      void send(200, 'Login cancelled', 'No key was made. You can close this tab.');
      return settle.reject(new LoginRefused('the login was cancelled in the browser; no key was made'));
    }
    settle.resolve({ code: given, reply: (title, text) => send(200, title, text) });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  port = (server.address() as AddressInfo).port;
  const timer = setTimeout(
    () => settle.reject(new LoginRefused('no answer from the browser within 5 minutes; no key was made')),
    WEB_LOGIN_WAIT_MS,
  );
  return {
    port,
    answer,
    close: () => {
      clearTimeout(timer);
      server.close();
      server.closeAllConnections();
    },
  };
}

/**
 * What the dashboard shows next to the request, for the user to compare with the terminal: from the PKCE
 * challenge, so a link someone else made (with their challenge) shows another code.
 */
export function confirmationCode(challenge: string): string {
  return `${challenge.slice(0, 4)}-${challenge.slice(4, 8)}`;
}

/**
 * `vibexp auth login --web [--name …] [--no-browser]`: a new key for this CLI, approved in the browser where
 * the user is signed in (they choose its name and integrations there). PKCE (RFC 7636) ties the one-time code
 * the browser brings back to this process, so a code seen by anyone else is worth nothing.
 */
export async function loginWithBrowser(context: Context): Promise<{ apiKey: string; baseUrl: string; path: string }> {
  const { io } = context;
  // Checked before anything waits: `localhost:3000` (no scheme) is said at once, with what to write instead.
  const baseUrl = canonicalBaseUrl(await context.baseUrl({ replacingCredentials: true }));
  const name = option(context.args, 'name') ?? `vibexp CLI on ${io.hostname}`;
  if (name.trim() === '' || name.length > 255) throw new UsageError('--name must be 1 to 255 characters');
  const state = randomBytes(24).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const callback = await awaitCallback(state);
  try {
    const query = new URLSearchParams({ port: String(callback.port), state, code_challenge: challenge, name });
    // The dashboard is served where the API is: at the base URL, with its own path if it has one.
    const url = `${baseUrl}/#/cli/authorize?${query}`;
    const remote = io.env.SSH_CONNECTION
      ? 'This is an SSH session: the browser must run on this machine (else use `vibexp auth login --with-api-key`).\n'
      : '';
    io.stderr.write(
      `Approve a key for this CLI in the browser where you are signed in to VibeXP:\n\n  ${url}\n\n` +
        `The page must show the confirmation code ${confirmationCode(challenge)}.\n${remote}` +
        'Waiting for the browser (up to 5 minutes; Ctrl-C to give up)…\n',
    );
    if (!context.args.flags.has('no-browser')) io.openBrowser(url);
    const { code, reply } = await callback.answer;
    let created: CreatedKey;
    try {
      created = await context
        .clientWith(undefined, baseUrl)
        .json<CreatedKey>('POST', '/api/v1/cli/token', { body: { code, code_verifier: verifier } });
    } catch (error) {
      await reply('Login failed', 'The CLI could not fetch its key; your terminal says why. No key was stored.');
      throw error;
    }
    const path = await writeCredentials(io.home, { api_key: created.full_key, base_url: baseUrl });
    await reply('Logged in', `The CLI has its key “${escapeHtml(created.api_key.name)}”. You can close this tab.`);
    return { apiKey: created.full_key, baseUrl, path };
  } finally {
    callback.close();
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
