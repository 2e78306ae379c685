import { UsageError, allowOnly, positional } from '../args';
import { ApiError } from '../client';
import type { Context } from '../context';
import { removeCredentials, writeCredentials } from '../credentials';
import { details } from '../output';

interface Me {
  id: string;
  email: string;
  name: string;
  tier: string;
  status: string;
  created_at: string;
  api_key?: { id: string; name: string; key_prefix: string; integrations: string[] };
}

function describe(me: Me): string {
  const view: Record<string, unknown> = { email: me.email, name: me.name, tier: me.tier, status: me.status };
  if (me.api_key) {
    view.key = `${me.api_key.name} (${me.api_key.key_prefix}…)`;
    view.integrations = me.api_key.integrations;
  }
  return details(view);
}

/** `vibexp whoami`: the account and key the API sees (GET /api/v1/auth/me). */
export async function whoami(context: Context): Promise<void> {
  allowOnly(context.args, []);
  const me = await (await context.client()).json<Me>('GET', '/api/v1/auth/me');
  context.print(me, () => describe(me));
}

/**
 * `vibexp auth login --with-api-key`: the key comes from a hidden prompt or from stdin, never from an
 * argument (where shell history and `ps` would keep it). It is checked against the API before it is stored.
 */
async function login(context: Context): Promise<void> {
  allowOnly(context.args, []);
  if (!context.args.flags.has('with-api-key'))
    throw new UsageError(
      'sign in with an API key: vibexp auth login --with-api-key (create one in Settings → API Keys)',
    );
  const { io } = context;
  const entered = io.stdinIsTTY ? await io.promptHidden('API key: ') : await io.readStdin();
  const apiKey = entered.trim();
  if (!apiKey) throw new UsageError('no API key was given (paste it at the prompt, or pipe it on stdin)');
  if (/\s/.test(apiKey)) throw new UsageError('the API key contains whitespace: check for copy-paste errors');
  const baseUrl = await context.baseUrl();
  let me: Me;
  try {
    me = await context.clientWith(apiKey, baseUrl).json<Me>('GET', '/api/v1/auth/me');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401)
      throw new ApiError(401, error.problem, 'the API refused this key: it is unknown, revoked or expired');
    throw error;
  }
  const path = await writeCredentials(io.home, {
    api_key: apiKey,
    ...(io.env.VIBEXP_BASE_URL ? { base_url: io.env.VIBEXP_BASE_URL } : {}),
  });
  context.print(
    { logged_in: true, credentials: path, ...me },
    () => `Logged in to ${baseUrl}\n${describe(me)}Key stored in ${path}\n`,
  );
}

async function logout(context: Context): Promise<void> {
  allowOnly(context.args, []);
  const removed = await removeCredentials(context.io.home);
  context.print({ logged_out: removed }, () => (removed ? 'Stored key removed\n' : 'No key was stored\n'));
}

export async function auth(context: Context): Promise<void> {
  const action = positional(context.args, 1, 'what to do: login, logout or status');
  if (action === 'login') return login(context);
  if (action === 'logout') return logout(context);
  if (action === 'status') return whoami(context);
  throw new UsageError(`unknown command: auth ${action}`);
}
