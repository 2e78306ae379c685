import { type Args, UsageError, option } from './args';
import { ApiClient, canonicalBaseUrl } from './client';
import { CorruptCredentials, readCredentials } from './credentials';
import { type Format, json, terminalSafe } from './output';

export const CLI_VERSION = '0.1.0';
export const DEFAULT_BASE_URL = 'http://localhost:3000';
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface Output {
  /** false when the text was queued: wait for `drained` before writing more. */
  write(text: string | Uint8Array): boolean | unknown;
  drained?(): Promise<void>;
  isTTY?: boolean;
}

/** Everything the CLI touches outside itself, so tests can run it in-process. */
export interface Io {
  env: Record<string, string | undefined>;
  home: string;
  stdout: Output;
  stderr: Output;
  stdinIsTTY: boolean;
  readStdin(): Promise<string>;
  /** Asks on the terminal without echoing what is typed. */
  promptHidden(question: string): Promise<string>;
  /** How to run this CLI again (node and its script), for the hooks it installs. */
  selfCommand: string[];
  fetch: typeof fetch;
  sleep(ms: number): Promise<void>;
  /** A monotonic clock, in ms: how long a request has been tried. */
  now(): number;
  random(): number;
  /** Opens a URL in the user's browser, if one can be started here (best effort, never throws). */
  openBrowser(url: string): void;
  /** This computer's name, for the name of a key made by `auth login --web`. */
  hostname: string;
}

export class Context {
  readonly format: Format;

  constructor(
    readonly args: Args,
    readonly io: Io,
  ) {
    const format = option(args, 'format') ?? 'table';
    if (format !== 'table' && format !== 'json') throw new UsageError('--format must be table or json');
    this.format = format;
  }

  /**
   * VIBEXP_BASE_URL, else the URL stored at login, else http://localhost:3000. A login, which writes the
   * credentials file again, passes `replacingCredentials`: a file it cannot read is then the one it replaces.
   */
  async baseUrl({ replacingCredentials = false } = {}): Promise<string> {
    if (this.io.env.VIBEXP_BASE_URL) return this.io.env.VIBEXP_BASE_URL;
    const stored = await readCredentials(this.io.home).catch((error: unknown) => {
      if (replacingCredentials && error instanceof CorruptCredentials) return undefined;
      throw error;
    });
    return stored?.base_url || DEFAULT_BASE_URL;
  }

  /** Where the key of the last `client()` came from, for the hint of a 401 and for `auth status`. */
  keySource: KeySource | undefined;

  /**
   * The key and the URL it goes to: VIBEXP_API_KEY with VIBEXP_BASE_URL, else with the default URL (never the URL
   * stored at login, which is the stored key's: a key for one server is not sent to another because of a login
   * made there; when that stored URL is another, a note says which one is used and how to use the other), or
   * the stored key with the URL it was stored for. The stored key is never sent to another URL: with a
   * VIBEXP_BASE_URL other than its own, the command is refused (exit 4), as a browser keeps a cookie to its site.
   */
  async credentials(): Promise<{ apiKey: string; keySource: KeySource; baseUrl: string; baseUrlSource: string }> {
    const { VIBEXP_API_KEY: envKey, VIBEXP_BASE_URL: envUrl } = this.io.env;
    if (envKey) {
      if (envUrl)
        return { apiKey: envKey, keySource: 'VIBEXP_API_KEY', baseUrl: envUrl, baseUrlSource: 'VIBEXP_BASE_URL' };
      const storedUrl = (await readCredentials(this.io.home).catch(() => undefined))?.base_url;
      if (storedUrl && sameUrl(storedUrl, DEFAULT_BASE_URL) !== true)
        this.note(
          `vibexp: note: VIBEXP_API_KEY goes to ${DEFAULT_BASE_URL} (the default), not to ${storedUrl} stored at login for the stored key; set VIBEXP_BASE_URL to send it there`,
        );
      return { apiKey: envKey, keySource: 'VIBEXP_API_KEY', baseUrl: DEFAULT_BASE_URL, baseUrlSource: 'default' };
    }
    const stored = await readCredentials(this.io.home);
    if (!stored?.api_key) throw new NotLoggedIn();
    // A file written by hand without its URL holds a key for the default URL.
    const own = stored.base_url || DEFAULT_BASE_URL;
    if (envUrl && canonicalBaseUrl(envUrl) !== canonicalBaseUrl(own)) throw new KeyForAnotherUrl(own, envUrl);
    return {
      apiKey: stored.api_key,
      keySource: 'credentials',
      baseUrl: own,
      baseUrlSource: stored.base_url ? 'stored at login' : 'default',
    };
  }

  /** A client with VIBEXP_API_KEY, else the stored key; without either, a clear error (exit 4). */
  async client(timeoutMs?: number): Promise<ApiClient> {
    const { apiKey, keySource, baseUrl } = await this.credentials();
    this.keySource = keySource;
    return this.clientWith(apiKey, baseUrl, timeoutMs);
  }

  clientWith(apiKey: string | undefined, baseUrl: string, timeoutMs?: number): ApiClient {
    const client = new ApiClient(
      baseUrl,
      apiKey,
      `vibexp-cli/${CLI_VERSION}`,
      {
        fetch: this.io.fetch,
        sleep: (ms) => this.io.sleep(ms),
        random: () => this.io.random(),
        now: () => this.io.now(),
        warn: (line) => this.io.stderr.write(`vibexp: ${line}\n`),
      },
      timeoutMs,
    );
    const { protocol, hostname } = new URL(client.baseUrl);
    if (apiKey && protocol === 'http:' && !LOOPBACK.has(hostname))
      this.note(`vibexp: warning: ${client.baseUrl} is plain http; the key crosses the network unencrypted`);
    return client;
  }

  /** Prints an answer: as JSON with `--format json`, else as the command renders it for people. */
  print(value: unknown, forPeople: () => string): void {
    this.io.stdout.write(this.format === 'json' ? json(value) : terminalSafe(forPeople()));
  }

  /**
   * Stdin as text. On a terminal, where nothing says that the CLI waits for typing, it first says what it reads and
   * how to end it.
   */
  async readInput(what: string): Promise<string> {
    if (this.io.stdinIsTTY)
      this.note(
        `vibexp: reading ${what} from the terminal: type or paste it, then press Ctrl-D on a line of its own (Ctrl-Z, Enter on Windows); Ctrl-C cancels`,
      );
    return this.io.readStdin();
  }

  /** A line on stderr; what the API said in it (a warning of a render) cannot drive the terminal either. */
  note(line: string): void {
    this.io.stderr.write(`${terminalSafe(line)}\n`);
  }
}

/** Whether two base URLs are the same one; undefined when one cannot be read (it is reported where it is used). */
function sameUrl(one: string, other: string): boolean | undefined {
  try {
    return canonicalBaseUrl(one) === canonicalBaseUrl(other);
  } catch {
    return undefined;
  }
}

/** Where a key came from: the environment, or the credentials file of `auth login`. */
export type KeySource = 'VIBEXP_API_KEY' | 'credentials';

/** The stored key was asked to go to another URL than the one it was stored for: an authentication error (exit 4). */
export class KeyForAnotherUrl extends Error {
  override readonly name = 'KeyForAnotherUrl';
  constructor(own: string, asked: string) {
    super(
      `the stored key is for ${own}, not VIBEXP_BASE_URL=${asked}: it is only ever sent to the URL it was stored for.\n` +
        `To use ${asked}, log in there: VIBEXP_BASE_URL=${asked} vibexp auth login --web (or --with-api-key), ` +
        `which replaces the stored key for ${own} (one key is stored); or, keeping it, set VIBEXP_API_KEY to a key ` +
        `of that server; to use ${own}, unset VIBEXP_BASE_URL.`,
    );
  }
}

export class NotLoggedIn extends Error {
  override readonly name = 'NotLoggedIn';
  constructor() {
    super('no API key: run `vibexp auth login --web` (or `--with-api-key`), or set VIBEXP_API_KEY');
  }
}
