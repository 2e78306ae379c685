import { type Args, UsageError, option } from './args';
import { ApiClient } from './client';
import { CorruptCredentials, readCredentials } from './credentials';
import { type Format, json } from './output';

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

  /** A client with VIBEXP_API_KEY, else the stored key; without either, a clear error (exit 4). */
  async client(timeoutMs?: number): Promise<ApiClient> {
    const apiKey = this.io.env.VIBEXP_API_KEY || (await readCredentials(this.io.home))?.api_key;
    if (!apiKey) throw new NotLoggedIn();
    return this.clientWith(apiKey, await this.baseUrl(), timeoutMs);
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
    this.io.stdout.write(this.format === 'json' ? json(value) : forPeople());
  }

  note(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }
}

export class NotLoggedIn extends Error {
  override readonly name = 'NotLoggedIn';
  constructor() {
    super('no API key: run `vibexp auth login --web` (or `--with-api-key`), or set VIBEXP_API_KEY');
  }
}
