/**
 * The context Claude Code gets back on SessionStart and UserPromptSubmit (PRODUCT.md §10): the account's
 * memories of the project its working directory is in. Pure parts: which projects a directory can be,
 * the query words of a prompt, and the text.
 */
import { isValidProject } from '#contracts';

/** Only the deepest directories count: a project is named after the folders near the work, not `/home`. */
const MAX_SEGMENTS = 8;

/**
 * Every project name a working directory can belong to: each run of consecutive folder names, joined
 * with `/` (`/home/ann/src/my-app/backend` → `my-app/backend`, `backend`, `src/my-app`, …). POSIX and
 * Windows paths alike; a folder name a project cannot hold (a space, `..`) breaks the run.
 */
export function projectCandidates(cwd: string): string[] {
  // `.` and `..` resolved as the shell would (`/src/billing/api/..` is `/src/billing`).
  const segments: string[] = [];
  for (const segment of cwd.split(/[\\/]+/)) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  segments.splice(0, Math.max(0, segments.length - MAX_SEGMENTS));
  const candidates = new Set<string>();
  for (let start = 0; start < segments.length; start += 1) {
    for (let end = start + 1; end <= segments.length; end += 1) {
      const project = segments.slice(start, end).join('/');
      // Longer runs only add to the name: once one is not a project, none that extend it are.
      if (!isValidProject(project)) break;
      candidates.add(project);
    }
  }
  return [...candidates];
}

/**
 * A full-text query where any word of a prompt may match (the ranking decides), or undefined when the
 * prompt has no word to look for. Only letters and digits reach PostgreSQL's query syntax.
 */
export function anyWordTsQuery(prompt: string): string | undefined {
  const words = [...new Set(prompt.toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) ?? [])].slice(0, 32);
  return words.length > 0 ? words.join(' | ') : undefined;
}

export interface ContextMemory {
  title: string | null;
  text: string;
  project: string;
}

/** Claude Code caps additionalContext at 10,000 characters; each memory gets a share of it. */
export const MAX_CONTEXT_CHARS = 10_000;
const MAX_MEMORY_CHARS = 1_500;

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** The memories as a short Markdown list, within MAX_CONTEXT_CHARS; empty when there is none. */
export function contextText(memories: ContextMemory[]): string {
  if (memories.length === 0) return '';
  let text = 'Memories saved in VibeXP for this project:';
  for (const memory of memories) {
    const line = `\n- [${memory.project}] ${memory.title ? `${clip(memory.title, 200)}: ` : ''}${clip(memory.text, MAX_MEMORY_CHARS)}`;
    if (text.length + line.length > MAX_CONTEXT_CHARS) break;
    text += line;
  }
  return text;
}
