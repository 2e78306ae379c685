#!/usr/bin/env node
/** The `vibexp` command (PRODUCT.md §12). Node built-ins only, so it starts fast. */
import { spawn } from 'node:child_process';
import { homedir, hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError } from './args';
import { run } from './cli';
import { once } from 'node:events';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a line from the terminal while echoing nothing of it; Ctrl-C or Ctrl-D gives up (exit 2). */
function promptHidden(question: string): Promise<string> {
  process.stderr.write(question);
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const reader = createInterface({ input: process.stdin, output: silent, terminal: true });
  return new Promise((resolve, reject) => {
    let answered = false;
    reader.on('SIGINT', () => reader.close());
    reader.on('close', () => {
      process.stderr.write('\n');
      if (!answered) reject(new UsageError('no API key was entered'));
    });
    reader.question('', (answer) => {
      answered = true;
      reader.close();
      resolve(answer);
    });
  });
}

/** The desktop's way to open a URL; nothing happens where there is none (a server over SSH). */
function openBrowser(url: string): void {
  const [command, ...args] =
    process.platform === 'darwin'
      ? ['open', url]
      : process.platform === 'win32'
        ? // Not `cmd /c start`: cmd would split the URL at its `&`s.
          ['rundll32', 'url.dll,FileProtocolHandler', url]
        : ['xdg-open', url];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // The URL is printed as well.
  }
}

// `vibexp memory list | head`: a reader that stops early is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

void run(process.argv.slice(2), {
  env: process.env,
  home: homedir(),
  stdout: {
    write: (text) => process.stdout.write(text),
    drained: () => once(process.stdout, 'drain').then(() => undefined),
    isTTY: process.stdout.isTTY,
  },
  stderr: process.stderr,
  stdinIsTTY: process.stdin.isTTY === true,
  readStdin,
  promptHidden,
  selfCommand: [process.execPath, __filename],
  fetch: (...parameters) => fetch(...parameters),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  // Monotonic: a retry budget is a duration, which a wall clock set back or forward would stretch or cut.
  now: () => performance.now(),
  random: Math.random,
  openBrowser,
  hostname: hostname(),
}).then((code) => {
  process.exitCode = code;
});
