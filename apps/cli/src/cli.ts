import { UsageError, parseArgs } from './args';
import { ApiError, ConnectionError, MalformedKey, RefusedPath } from './client';
import { alerts } from './commands/alerts';
import { api } from './commands/api';
import { audit } from './commands/audit';
import { auth, whoami } from './commands/auth';
import { CONTENT_KINDS, content, contentHelp } from './commands/content';
import { HookNotDelivered, hooks } from './commands/hooks';
import { search } from './commands/search';
import { LoginRefused } from './commands/web-login';
import { maskSecrets, terminalSafe } from './output';
import { CLI_VERSION, Context, type Io, KeyForAnotherUrl, type KeySource, NotLoggedIn } from './context';
import { credentialsPath } from './credentials';
import { fileProblem } from './files';

/** Exit codes of PRODUCT.md §12. */
export const EXIT = { ok: 0, failed: 1, usage: 2, auth: 4 } as const;

/** The options of a content kind's create and update (and a prompt's render), in the usage and in its own help. */
const CONTENT_FIELDS = `List filters and fields of each kind: vibexp prompt|artifact|memory --help. Create/update: --name, --slug, --title,
--project, --type, --status, --labels a,b, --metadata '{json}', --body/--content/--text (or --body-file/--content-file/--text-file
path, - for stdin), --expected-version n.`;
const PROMPT_RENDER = 'prompt render <id|slug> [--set name=value]…   fills placeholders (repeat --set for each one).';

export const USAGE = `vibexp ${CLI_VERSION}: the VibeXP command-line client

Usage: vibexp <command> [options] [--format table|json]

  auth login --web [--name n] [--no-browser]   a new key, approved in the browser where you are signed in
  auth login --with-api-key     store a key (typed at a hidden prompt, or piped on stdin)
  auth logout | auth status
  whoami                        the account and key the API sees
  prompt list|get|create|update|delete|versions|restore|render
  artifact list|get|create|update|delete|versions|restore      (addressed as project/slug, or id)
  memory list|get|create|update|delete|versions|restore
  search <words…> [--types prompts,artifacts,memories] [--limit 1-100]
  audit list [--type key.*,auth.failed] [--key-id id] [--client-id id] [--action a] [--outcome success|failure]
      [--ip address] [--from time] [--to time] [--sort-order asc|desc] [--limit 1-500] [--cursor c]
  audit export [--as ndjson|csv] [--output file] [--progress|--no-progress] [the filters of audit list]
  alerts list [--status open|acknowledged|resolved] [--key-id id] [--sort-by last_seen|first_seen|severity|count]
      [--rule request_spike|off_hours|new_location|failed_auth_burst|revoked_key_use|key_leaked|oauth_token_reuse]
      [--sort-order asc|desc] [--page n] [--limit 1-100]
  alerts show|ack <id>
  alerts resolve <id> --resolution legitimate|revoked_key|false_positive [--note text]
  hooks install claude-code|cursor-ide [--dir <project> | --global] [--events default|all]
  hooks send <claude-code|cursor-ide>   post the hook JSON on stdin (what an installed hook runs)
  api <METHOD> <path> [--data JSON|@file|-]
  help [command] | <command> --help   this help, or one command's (a kind's list filters and fields)
  version | --version | -v      the CLI's version

${CONTENT_FIELDS}
${PROMPT_RENDER}
Configuration: VIBEXP_API_KEY, VIBEXP_BASE_URL (default http://localhost:3000), ~/.vibexp/credentials.json.
Exit codes: 0 ok, 1 API or runtime error, 2 usage error, 4 authentication or permission error.
`;

/** The words that ask for the version: `vibexp --version`, `-v` or `-V`, each only on its own. */
const VERSION_WORDS = new Set(['--version', '-v', '-V']);

type Command = (context: Context) => Promise<void>;

const COMMANDS: Record<string, Command> = {
  auth,
  whoami,
  search,
  audit,
  alerts,
  hooks,
  api,
  ...Object.fromEntries(CONTENT_KINDS.map((kind) => [kind, content])),
};

/** `vibexp <command> --help`: that command's lines of the usage (and the content fields), not all of it. */
function commandHelp(name: string): string {
  // A command's lines, each with the lines that continue it (indented further).
  const own: string[] = [];
  let continuing = false;
  for (const line of USAGE.split('\n')) {
    continuing = line.startsWith(`  ${name} `) || (continuing && line.startsWith('      '));
    if (continuing) own.push(line);
  }
  const fields = CONTENT_KINDS.includes(name) ? [contentHelp(name), ...(name === 'prompt' ? [PROMPT_RENDER] : [])] : [];
  return `Usage: vibexp ${name} …\n\n${[...own, ...fields].join('\n')}\n\nRun \`vibexp --help\` for every command.\n`;
}

/** Runs one command line; returns the exit code. Never throws. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  let context: Context | undefined;
  try {
    const args = parseArgs(argv);
    if (args.flags.has('version')) {
      // Only as the whole command line: after a command it is most often a guess at --expected-version or a
      // version number (or -v for "verbose"), and printing the version with exit 0 would tell a script that the
      // update, restore or delete was done.
      const word = argv.find((given) => VERSION_WORDS.has(given)) ?? '--version';
      if (argv.length > 1)
        throw new UsageError(
          `${word} prints the version, alone as \`vibexp ${word}\`: it takes no command or option (an update takes --expected-version n; restore takes the version as its argument)`,
        );
      io.stdout.write(`vibexp-cli ${CLI_VERSION}\n`);
      return EXIT.ok;
    }
    if (args.positionals[0] === 'version' && args.positionals.length === 1) {
      io.stdout.write(`vibexp-cli ${CLI_VERSION}\n`);
      return EXIT.ok;
    }
    // `vibexp help prompt` is `vibexp prompt --help`.
    const helpOf = args.positionals[0] === 'help' && args.positionals.length > 1;
    const name = helpOf ? args.positionals[1] : args.positionals[0];
    // Own names only: `toString` or `constructor` is no command.
    const known = name !== undefined && Object.hasOwn(COMMANDS, name);
    if (known && (args.flags.has('help') || helpOf)) {
      io.stdout.write(commandHelp(name));
      return EXIT.ok;
    }
    // `vibexp help help` and `vibexp help version`: what there is to say of them is in the usage.
    if (helpOf && (name === 'help' || name === 'version') && args.positionals.length === 2) {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    if (helpOf) throw new UsageError(`unknown command: ${name}`);
    if (name === undefined || name === 'help' || args.flags.has('help')) {
      (name === undefined && !args.flags.has('help') ? io.stderr : io.stdout).write(USAGE);
      return name === undefined && !args.flags.has('help') ? EXIT.usage : EXIT.ok;
    }
    if (!known) throw new UsageError(`unknown command: ${name}`);
    context = new Context(args, io);
    await COMMANDS[name](context);
    return EXIT.ok;
  } catch (error) {
    // What an installed hook runs never exits 2, which would block Claude Code's tool call: its usage errors too.
    if (error instanceof UsageError && isHookSend(argv))
      return report(new HookNotDelivered(`hook not delivered: ${error.message}`, { cause: error }), io);
    return report(error, io, context?.keySource);
  }
}

/** `vibexp … hooks send …`, told from the words given even when they do not parse. */
function isHookSend(argv: readonly string[]): boolean {
  const hooks = argv.indexOf('hooks');
  return hooks >= 0 && argv[hooks + 1] === 'send';
}

/**
 * Routes whose 401 is about something else than the key (an email and password, a login code, the admin token, an
 * OAuth token): no advice about the key there.
 */
const NOT_ABOUT_THE_KEY = /^\/api\/v1\/(auth\/(login|signup)|cli\/token)(\/|\?|$)/;

/**
 * What to do about a key the API refused (401), by why (AUTH_INVALID: unknown, expired or revoked; AUTH_MALFORMED:
 * not shaped like a key) and where it came from; nothing for another 401 (a wrong password on `api POST
 * /auth/login`, the admin token, an OAuth token).
 */
function refusedKeyHint(error: ApiError, source: KeySource | undefined, home: string): string {
  const code = error.problem?.code;
  if (code !== 'AUTH_INVALID' && code !== 'AUTH_MALFORMED') return '';
  if (error.path !== undefined && (!error.path.startsWith('/api/v1/') || NOT_ABOUT_THE_KEY.test(error.path))) return '';
  const stored = `The stored key (${credentialsPath(home)})`;
  const relogin = 'run `vibexp auth login --web` (or `--with-api-key`) to store a new one';
  if (code === 'AUTH_MALFORMED') {
    if (source === 'VIBEXP_API_KEY')
      return '\nThe key in VIBEXP_API_KEY is not shaped like a VibeXP key (cut short, or something pasted with it?): set it to the whole key, or unset it to use the key stored by `vibexp auth login`.';
    if (source === 'credentials')
      return `\n${stored} is not shaped like a VibeXP key (was the file edited?): ${relogin}.`;
    return '';
  }
  if (source === 'VIBEXP_API_KEY')
    return '\nThe key in VIBEXP_API_KEY was refused (unknown, expired or revoked): set a valid one, or unset it to use the key stored by `vibexp auth login`.';
  if (source === 'credentials') return `\n${stored} was refused (unknown, expired or revoked): ${relogin}.`;
  return '';
}

function report(error: unknown, io: Io, keySource?: KeySource): number {
  // What an API or a command line said, made safe to show: no control characters, no secret-shaped words.
  const say = (message: string) => io.stderr.write(`vibexp: ${terminalSafe(maskSecrets(message))}\n`);
  if (error instanceof UsageError || error instanceof RefusedPath) {
    say(`${error.message}\nRun \`vibexp --help\` for the commands.`);
    return EXIT.usage;
  }
  if (error instanceof HookNotDelivered) {
    say(error.message);
    return EXIT.failed;
  }
  if (
    error instanceof NotLoggedIn ||
    error instanceof KeyForAnotherUrl ||
    error instanceof LoginRefused ||
    error instanceof MalformedKey
  ) {
    say(error.message);
    return EXIT.auth;
  }
  if (error instanceof ApiError) {
    say(error.status === 401 ? `${error.message}${refusedKeyHint(error, keySource, io.home)}` : error.message);
    return error.status === 401 || error.status === 403 ? EXIT.auth : EXIT.failed;
  }
  if (error instanceof ConnectionError) {
    say(error.message);
    return EXIT.failed;
  }
  const file = fileProblem(error);
  if (file) {
    say(file);
    return EXIT.failed;
  }
  say((error as Error).message ?? String(error));
  return EXIT.failed;
}
