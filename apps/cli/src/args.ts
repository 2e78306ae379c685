/** The command line, read without a dependency: positionals, `--name value`, `--name=value`, flags. */

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
}

export function parseArgs(argv: readonly string[]): Args {
  const args: Args = { positionals: [], options: new Map(), flags: new Set(), withoutValue: new Set() };
  for (let i = 0; i < argv.length; i += 1) {
    const word = argv[i];
    if (word === '--') {
      args.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith('--') || word === '--') {
      if (word === '-h') args.flags.add('help');
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
  if (args.withoutValue.has(name)) throw new UsageError(`--${name} needs a value`);
  const values = args.options.get(name);
  return values?.[values.length - 1];
}

/** Refuses options a command does not know, so a typo is never silently ignored. */
export function allowOnly(args: Args, known: readonly string[]): void {
  const allowed = new Set([...known, 'format']);
  for (const name of [...args.options.keys(), ...args.withoutValue])
    if (!allowed.has(name)) throw new UsageError(`unknown option --${name}`);
  for (const name of args.withoutValue) throw new UsageError(`--${name} needs a value`);
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

export function integerOption(args: Args, name: string): number | undefined {
  const value = option(args, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number`);
  return Number(value);
}

/** Options that are whole numbers wherever a command takes them: a word there is a usage error, before any request. */
const WHOLE_NUMBER_OPTIONS = new Set(['page', 'limit']);

/** A request's query from the command's options, `--key-id x` as `key_id=x`; absent options are left out. */
export function queryOptions(args: Args, names: readonly string[]): Record<string, string | undefined> {
  return Object.fromEntries(
    names.map((name) => [
      name.replace(/-/g, '_'),
      WHOLE_NUMBER_OPTIONS.has(name) ? integerOption(args, name)?.toString() : option(args, name),
    ]),
  );
}
