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
  const flat = text.replace(/\s+/g, ' ');
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
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
