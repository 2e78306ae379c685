import { access, readFile, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, resolve } from 'node:path';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'it exists already',
};

/** A file named on the command line that cannot be read or written, in words (not `ENOENT: …, open '…'`). */
export function fileProblem(error: unknown): string | undefined {
  const { code, path, syscall } = error as NodeJS.ErrnoException;
  if (typeof path !== 'string' || code === undefined || !(code in REASONS)) return undefined;
  return `cannot ${syscall ?? 'open'} ${path}: ${REASONS[code]}`;
}

/** A file the user named, read as text; its failure names that path (a directory's EISDIR names none). */
export async function readNamedFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw Object.assign(error as NodeJS.ErrnoException, { path, syscall: 'read' });
  }
}

/**
 * Refuses, before anything is downloaded, a file that could not be written: its folder missing or not writable, or
 * the path a folder. Said with the user's path, not a temporary name.
 */
export async function checkWritableFile(path: string): Promise<void> {
  const folder = dirname(resolve(path));
  const problem = (reason: string) => new Error(`cannot write ${path}: ${reason}`);
  const found = await stat(folder).catch(() => undefined);
  if (!found) throw problem(`the folder ${folder} does not exist`);
  if (!found.isDirectory()) throw problem(`${folder} is not a folder`);
  if (
    await stat(path).then(
      (file) => file.isDirectory(),
      () => false,
    )
  )
    throw problem('it is a directory');
  await access(folder, constants.W_OK).catch(() => {
    throw problem(`the folder ${folder} is not writable`);
  });
}
