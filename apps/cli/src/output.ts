/** How answers are shown: `--format table` (default, for people) or `--format json` (for scripts). */
export type Format = 'table' | 'json';

const MAX_CELL = 60;

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  const text = Array.isArray(value)
    ? value.join(',')
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);
  const flat = terminalSafe(text.replace(/\s+/g, ' '));
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
}

/** Rows as aligned columns under an upper-case header; "(none)" for no rows. */
export function table(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((row) => columns.map((column) => cell(row[column])));
  const header = columns.map((column) => column.toUpperCase());
  const widths = columns.map((_, i) => Math.max(header[i].length, ...cells.map((line) => line[i].length)));
  const line = (values: string[]) =>
    values
      .map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...cells.map(line)].join('\n')}\n`;
}

/** One object as `field: value` lines; text is shown whole, on lines of its own when it has several. */
export function details(record: Record<string, unknown>, fields: readonly string[] = Object.keys(record)): string {
  const width = Math.max(...fields.map((field) => field.length));
  const show = (value: unknown): string => {
    if (typeof value === 'string') return value.includes('\n') ? `\n${value}` : value;
    if (Array.isArray(value))
      return value.map((item) => (typeof item === 'object' ? JSON.stringify(item) : String(item))).join(', ');
    // An object (an alert's evidence) as indented `name: value` lines under its field.
    if (value !== null && typeof value === 'object')
      return Object.entries(value)
        .map(([name, inner]) => {
          const text =
            inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? JSON.stringify(inner) : show(inner);
          return `\n  ${oneLine(name)}: ${oneLine(typeof inner === 'string' ? inner : text)}`;
        })
        .join('');
    return value === null || value === undefined ? '-' : String(value);
  };
  return `${fields.map((field) => `${`${field}:`.padEnd(width + 1)} ${show(record[field])}`).join('\n')}\n`;
}

/** Text on one line, its control characters escaped as JSON writes them: a value cannot fake a line of its own. */
function oneLine(text: string): string {
  return terminalSafe(text, { keepLines: false });
}

/** C0 and C1 control characters and DEL: what a terminal may act on (colours, a title, a cursor moved, a link). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Text as it may reach a terminal: every control character written out as an escape (`\u001b`), so stored text
 * can never drive the terminal that shows it. With `keepLines`, newline and tab stay (and a CR before a newline,
 * which shows as nothing): body text keeps its layout.
 */
export function terminalSafe(text: string, { keepLines = true } = {}): string {
  return text.replace(CONTROL, (character, offset: number) => {
    if (keepLines && (character === '\n' || character === '\t')) return character;
    if (keepLines && character === '\r' && text[offset + 1] === '\n') return character;
    const escaped = JSON.stringify(character).slice(1, -1);
    return escaped !== character ? escaped : `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/**
 * A message with whatever looks like a secret cut short: a platform key or token (`vxk_`, `vxo_`, `vxr_`) to its
 * kind, any other run of 32 or more letters and digits (a token pasted in the wrong place) to its first four.
 */
export function maskSecrets(text: string): string {
  return text
    .replace(/\b(vx[kor]_)[A-Za-z0-9_-]+/g, '$1…')
    .replace(/(?<![\w-])(?=[A-Za-z_]*\d)(?=\d*[A-Za-z])([A-Za-z0-9_]{4})[A-Za-z0-9_]{28,}(?![\w-])/g, '$1…');
}

/** JSON as written for a script or a terminal: DEL and C1 escaped too (JSON.stringify leaves them), still the same JSON. */
export function json(value: unknown): string {
  return `${jsonText(value)}\n`;
}

export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
