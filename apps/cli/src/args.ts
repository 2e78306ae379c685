/** The command line, read without a dependency: positionals, `--name value`, `--name=value`, flags. */
import { MAX_LIMIT, MAX_PAGE, SORT_ORDERS } from './api-values';

/** A mistake in how the command was called: exit code 2, with the usage hint. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Options that take no value. Every other `--option` takes one (repeatable ones collect a list). */
const FLAGS = new Set(['with-api-key', 'web', 'no-browser', 'help', 'version', 'global', 'progress', 'no-progress']);

export interface Args {
  positionals: string[];
  /** Each option's values in the order given (`--set a=1 --set b=2`). */
  options: Map<string, string[]>;
  flags: Set<string>;
  /**
   * Options given last or before another option, without their value. Refused once the command says which
   * options it knows: an unknown one as unknown (`--bogus`), a known one as needing a value.
   */
  withoutValue: Set<string>;
  /** An option without its value, and the `--word` that followed it (`--text --hello`): for the hint. */
  followedBy: Map<string, string>;
}

export function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    positionals: [],
    options: new Map(),
    flags: new Set(),
    withoutValue: new Set(),
    followedBy: new Map(),
  };
  for (let i = 0; i < argv.length; i += 1) {
    const word = argv[i];
    if (word === '--') {
      args.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith('--') || word === '--') {
      if (word === '-h') args.flags.add('help');
      else if (word === '-v' || word === '-V') args.flags.add('version');
      else args.positionals.push(word);
      continue;
    }
    const equals = word.indexOf('=');
    const name = word.slice(2, equals === -1 ? undefined : equals);
    // The name only: what follows `=` may be a secret typed in the wrong place (`--API_KEY=vxk_…`).
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new UsageError(`unknown option --${name}`);
    if (FLAGS.has(name)) {
      if (equals !== -1) throw new UsageError(`--${name} takes no value`);
      args.flags.add(name);
      continue;
    }
    let value: string;
    if (equals !== -1) value = word.slice(equals + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        args.withoutValue.add(name);
        if (next !== undefined) args.followedBy.set(name, next.split('=')[0]);
        continue;
      }
      value = next;
      i += 1;
    }
    args.options.set(name, [...(args.options.get(name) ?? []), value]);
  }
  return args;
}

/** The last value of an option, or undefined. */
export function option(args: Args, name: string): string | undefined {
  if (args.withoutValue.has(name)) throw new UsageError(`--${name} needs a value${dashHint(args, name)}`);
  const values = args.options.get(name);
  return values?.[values.length - 1];
}

/** A comma list that may also be given in parts (`--labels a --labels b,c`): every value, joined. */
export function listOption(args: Args, name: string): string | undefined {
  option(args, name);
  return args.options.get(name)?.join(',');
}

/** How a value that starts with `--` is given: after `=`, as one word. */
function dashHint(args: Args, name: string): string {
  const next = args.followedBy.get(name);
  return next === undefined ? '' : ` (a value that starts with -- is written --${name}=${next}…)`;
}

/** Refuses options a command does not know, so a typo is never silently ignored. */
export function allowOnly(args: Args, known: readonly string[]): void {
  const allowed = new Set([...known, 'format']);
  for (const name of [...args.options.keys(), ...args.withoutValue])
    if (!allowed.has(name)) {
      // `--text --hello`: --hello was meant as the value.
      const owner = [...args.followedBy].find(([, next]) => next === `--${name}`)?.[0];
      if (owner !== undefined && allowed.has(owner))
        throw new UsageError(
          `unknown option --${name}: if it is the value of --${owner}, write it --${owner}=--${name}`,
        );
      throw new UsageError(`unknown option --${name}`);
    }
  for (const name of args.withoutValue) option(args, name);
}

/** Refuses words after the ones a command takes (`whoami extra`), so nothing is silently ignored. */
export function noMoreArguments(args: Args, count: number): void {
  const extra = args.positionals.slice(count);
  if (extra.length > 0) throw new UsageError(`unexpected argument${extra.length > 1 ? 's' : ''}: ${extra.join(' ')}`);
}

export function positional(args: Args, index: number, what: string): string {
  const value = args.positionals[index];
  if (value === undefined || value === '') throw new UsageError(`missing ${what}`);
  return value;
}

/** What the API takes for an option: one of some values (each item of a comma list), or a whole number in a range. */
export interface Check {
  choices?: readonly string[];
  /** Other spellings the API takes too (`expired` for archived), accepted but not offered in help. */
  aliases?: readonly string[];
  /** A comma list: values of repeats are joined, and each item must be one of `choices`. */
  list?: boolean;
  min?: number;
  max?: number;
}

/** The checks of options every list takes (PRODUCT.md §1). */
export const PAGING: Record<string, Check> = {
  page: { min: 1, max: MAX_PAGE },
  limit: { min: 1, max: MAX_LIMIT },
  'sort-order': { choices: SORT_ORDERS },
};

/** An option's value, refused (exit 2, before any request) when it is not what the API takes. */
export function checkedOption(args: Args, name: string, check: Check = {}): string | undefined {
  let value = check.list ? listOption(args, name) : option(args, name);
  // A list's empty items (`--types prompts,`, `a,,b`) are dropped, as the API drops them.
  if (check.list && value !== undefined)
    value = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
      .join(',');
  if (value === undefined) return undefined;
  if (check.min !== undefined || check.max !== undefined) {
    const range = check.max === undefined ? `${check.min} or more` : `from ${check.min ?? 0} to ${check.max}`;
    if (!/^\d{1,16}$/.test(value)) throw new UsageError(`--${name} must be a whole number ${range}, not "${value}"`);
    const number = Number(value);
    if ((check.min !== undefined && number < check.min) || (check.max !== undefined && number > check.max))
      throw new UsageError(`--${name} must be a whole number ${range}, not ${value}`);
    return String(number);
  }
  if (check.choices) {
    const items = check.list ? value.split(',').filter(Boolean) : [value];
    const wrong = items.find((item) => !check.choices?.includes(item) && !check.aliases?.includes(item));
    if (wrong !== undefined)
      throw new UsageError(
        `--${name} must be ${check.list ? 'a comma list of' : 'one of'} ${check.choices.join(', ')}, not "${wrong}"`,
      );
  }
  return value;
}

export function integerOption(args: Args, name: string, check: Check = { min: 0 }): number | undefined {
  const value = checkedOption(args, name, check);
  return value === undefined ? undefined : Number(value);
}

/**
 * A request's query from the command's options, `--key-id x` as `key_id=x`; absent options are left out. Each is
 * checked as `checks` (and PAGING) say, before any request.
 */
export function queryOptions(
  args: Args,
  names: readonly string[],
  checks: Record<string, Check> = {},
): Record<string, string | undefined> {
  const all: Record<string, Check> = { ...PAGING, labels: { list: true }, ...checks };
  return Object.fromEntries(names.map((name) => [name.replace(/-/g, '_'), checkedOption(args, name, all[name])]));
}

/** `--x` values in words for a help line: `draft|published`. */
export function choicesOf(check: Check | undefined): string {
  if (check?.choices) return check.choices.join('|');
  if (check?.max !== undefined) return check.max >= 1000 ? 'n' : `${check.min ?? 0}-${check.max}`;
  return '';
}
