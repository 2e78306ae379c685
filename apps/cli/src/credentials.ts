import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** `~/.vibexp/credentials.json` (PRODUCT.md §12): the stored key, readable by its owner only. */
export interface StoredCredentials {
  api_key: string;
  base_url?: string;
}

/** The credentials file is not the JSON object `auth login` writes (edited by hand, cut short). */
export class CorruptCredentials extends Error {
  override readonly name = 'CorruptCredentials';
  constructor(path: string) {
    super(`${path} is not the JSON object vibexp writes: run \`vibexp auth login --with-api-key\` to write it again`);
  }
}

export function credentialsPath(home: string): string {
  return join(home, '.vibexp', 'credentials.json');
}

export async function readCredentials(home: string): Promise<StoredCredentials | undefined> {
  let text: string;
  try {
    text = await readFile(credentialsPath(home), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CorruptCredentials(credentialsPath(home));
  }
  const stored = parsed as Partial<Record<keyof StoredCredentials, unknown>> | null;
  // `{"api_key": 5}` or a URL that is no text is as unreadable as a file cut short: not "no key".
  if (
    typeof stored !== 'object' ||
    stored === null ||
    Array.isArray(stored) ||
    typeof stored.api_key !== 'string' ||
    (stored.base_url !== undefined && typeof stored.base_url !== 'string')
  )
    throw new CorruptCredentials(credentialsPath(home));
  return stored as StoredCredentials;
}

/**
 * Written to a new file created with mode 0600, then renamed over the old one: the key is never, even for
 * a moment, in a file others can read. The directory is 0700.
 */
export async function writeCredentials(home: string, credentials: StoredCredentials): Promise<string> {
  const path = credentialsPath(home);
  const directory = join(home, '.vibexp');
  await mkdir(directory, { recursive: true, mode: 0o700 });
  await chmod(directory, 0o700);
  // A name nobody can guess, created exclusively: a planted symlink is never followed.
  const temporary = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await rename(temporary, path);
  return path;
}

export async function removeCredentials(home: string): Promise<boolean> {
  try {
    await rm(credentialsPath(home));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
