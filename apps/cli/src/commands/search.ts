import { allowOnly, positional, queryOptions } from '../args';
import { SEARCH_TYPES } from '../api-values';
import type { Context } from '../context';
import { table } from '../output';

/** `vibexp search <words…> [--types prompts,memories] [--limit n]` (PRODUCT.md §6). */
export async function search(context: Context): Promise<void> {
  const { args } = context;
  allowOnly(args, ['types', 'limit']);
  positional(args, 1, 'what to search for');
  const q = args.positionals.slice(1).join(' ');
  const query = { q, ...queryOptions(args, ['types', 'limit'], { types: { choices: SEARCH_TYPES, list: true } }) };
  const answer = await (
    await context.client()
  ).json<{ results: Record<string, unknown>[] }>('GET', '/api/v1/search', { query });
  context.print(answer, () =>
    table(
      answer.results.map((result) => ({
        ...result,
        ref: result.slug ? `${result.project ? `${String(result.project)}/` : ''}${String(result.slug)}` : result.id,
      })),
      ['type', 'ref', 'title', 'score', 'updated_at'],
    ),
  );
}
