import { UsageError, allowOnly, noMoreArguments, positional } from '../args';
import type { Context } from '../context';
import { credentialsPath, removeCredentials, writeCredentials } from '../credentials';
import { details } from '../output';
import { loginWithBrowser } from './web-login';

interface Me {
  id: string;
  email: string;
  name: string;
  tier: string;
  status: string;
  created_at: string;
  api_key?: { id: string; name: string; key_prefix: string; integrations: string[] };
}

function describe(me: Me, more: Record<string, string> = {}): string {
  const view: Record<string, unknown> = { email: me.email, name: me.name, tier: me.tier, status: me.status };
  if (me.api_key) {
    view.key = `${me.api_key.name} (${me.api_key.key_prefix}…)`;
    view.integrations = me.api_key.integrations;
  }
  return details({ ...view, ...more });
}

/**
 * `vibexp whoami` (and `auth status`): the account and key the API sees (GET /api/v1/auth/me), and where the CLI
 * took the key and the URL from.
 */
export async function whoami(context: Context): Promise<void> {
  allowOnly(context.args, []);
  noMoreArguments(context.args, context.args.positionals[0] === 'auth' ? 2 : 1);
  const { apiKey, keySource, baseUrl, baseUrlSource } = await context.credentials();
  context.keySource = keySource;
  const me = await context.clientWith(apiKey, baseUrl).json<Me>('GET', '/api/v1/auth/me');
  const source = keySource === 'VIBEXP_API_KEY' ? 'VIBEXP_API_KEY' : credentialsPath(context.io.home);
  // --format json stays the API's answer; people are told where the key and the URL came from.
  context.print(me, () => describe(me, { 'key from': source, api: `${baseUrl} (${baseUrlSource})` }));
}

/** What the API refuses every command of a key without (all but the hooks, which need ai_tools). */
function warnWithoutCli(context: Context, me: Me): void {
  if (me.api_key && !me.api_key.integrations.includes('cli'))
    context.note(
      'vibexp: warning: this key lacks the cli integration, so the API refuses the CLI its commands (403); add `cli` to the key in Settings → API Keys, or log in with `vibexp auth login --web`',
    );
}

/** Said at login and logout: the environment's key wins over the stored one. */
function noteEnvironmentKey(context: Context, what: string): void {
  if (context.io.env.VIBEXP_API_KEY) context.note(`vibexp: note: VIBEXP_API_KEY is set and takes precedence: ${what}`);
}

/**
 * `vibexp auth login --with-api-key`: the key comes from a hidden prompt or from stdin, never from an
 * argument (where shell history and `ps` would keep it). It is checked against the API before it is stored.
 * `vibexp auth login --web`: a new key approved in the browser (see web-login).
 */
async function login(context: Context): Promise<void> {
  const web = context.args.flags.has('web');
  allowOnly(context.args, web ? ['name'] : []);
  if (context.args.positionals.length > 2)
    throw new UsageError(
      'never pass the key as an argument (it is now in your shell history: consider rotating it); paste it at the prompt or pipe it on stdin',
    );
  if (web && context.args.flags.has('with-api-key')) throw new UsageError('choose --web or --with-api-key, not both');
  if (web) {
    const { apiKey, baseUrl, path } = await loginWithBrowser(context);
    return welcome(context, apiKey, baseUrl, path);
  }
  if (!context.args.flags.has('with-api-key'))
    throw new UsageError(
      'sign in through the browser: vibexp auth login --web, or with a key: vibexp auth login --with-api-key (create one in Settings → API Keys)',
    );
  const { io } = context;
  const entered = io.stdinIsTTY ? await io.promptHidden('API key: ') : await io.readStdin();
  const apiKey = entered.trim();
  if (!apiKey) throw new UsageError('no API key was given (paste it at the prompt, or pipe it on stdin)');
  const baseUrl = await context.baseUrl({ replacingCredentials: true });
  const me = await context.clientWith(apiKey, baseUrl).json<Me>('GET', '/api/v1/auth/me');
  // The URL the key was checked against is the one it belongs to.
  const path = await writeCredentials(io.home, { api_key: apiKey, base_url: baseUrl });
  printLoggedIn(context, me, baseUrl, path);
}

/** After a browser login: who the new key is (it was stored already; the API made it a moment ago). */
async function welcome(context: Context, apiKey: string, baseUrl: string, path: string): Promise<void> {
  const me = await context.clientWith(apiKey, baseUrl).json<Me>('GET', '/api/v1/auth/me');
  printLoggedIn(context, me, baseUrl, path);
}

function printLoggedIn(context: Context, me: Me, baseUrl: string, path: string): void {
  warnWithoutCli(context, me);
  noteEnvironmentKey(context, 'commands use it, not the key stored now, until it is unset');
  context.print(
    { logged_in: true, credentials: path, ...me },
    () => `Logged in to ${baseUrl}\n${describe(me)}Key stored in ${path}\n`,
  );
}

async function logout(context: Context): Promise<void> {
  allowOnly(context.args, []);
  noMoreArguments(context.args, 2);
  const removed = await removeCredentials(context.io.home);
  noteEnvironmentKey(context, 'commands still use it; logout removes only the stored key');
  context.print({ logged_out: removed }, () => (removed ? 'Stored key removed\n' : 'No key was stored\n'));
}

export async function auth(context: Context): Promise<void> {
  const action = positional(context.args, 1, 'what to do: login, logout or status');
  if (action === 'login') return login(context);
  if (action === 'logout') return logout(context);
  if (action === 'status') return whoami(context);
  throw new UsageError(`unknown command: auth ${action}`);
}
