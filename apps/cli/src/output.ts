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
  return fitted(terminalSafe(text.replace(/\s+/g, ' ')), MAX_CELL);
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** East Asian Wide and Fullwidth code points (UAX #11): two columns of a terminal each. */
const WIDE: readonly [number, number][] = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26f2, 0x26f5],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x274c, 0x274c],
  [0x2753, 0x2755],
  [0x2795, 0x2797],
  [0x2b1b, 0x2b1c],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff],
  [0x1b000, 0x1b2ff],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f7e0, 0x1f7eb],
  [0x1f90c, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x3fffd],
];

/** A flag: two regional indicators make one (🇯🇵); one alone is shown as a letter. */
const REGIONAL_INDICATOR = /[\u{1F1E6}-\u{1F1FF}]/gu;

/**
 * The columns one grapheme cluster takes: 2 for a wide character, an emoji shown as one by default
 * (Emoji_Presentation: ✨ ⭐ ⚡ ❗ ⏰ ⛔, and every emoji sequence starting with one), an emoji asked for with
 * U+FE0F, or a flag; 0 for a mark or format alone.
 */
function clusterWidth(cluster: string): number {
  if (/\uFE0F/u.test(cluster) && /\p{Extended_Pictographic}/u.test(cluster)) return 2;
  if (/^[\p{Mn}\p{Me}\p{Cf}]/u.test(cluster)) return 0;
  const indicators = cluster.match(REGIONAL_INDICATOR)?.length ?? 0;
  if (indicators > 0) return indicators >= 2 ? 2 : 1;
  if (/^\p{Emoji_Presentation}/u.test(cluster)) return 2;
  const first = cluster.codePointAt(0) ?? 0;
  return WIDE.some(([from, to]) => first >= from && first <= to) ? 2 : 1;
}

/** The columns a text takes on a terminal: CJK and emoji count two, combining marks none. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of graphemes.segment(text)) width += clusterWidth(segment);
  return width;
}

/** A text cut to at most `width` columns, whole characters only (never half an emoji or a base without its mark). */
export function fitted(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let kept = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const next = clusterWidth(segment);
    if (used + next > width - 1) break;
    kept += segment;
    used += next;
  }
  return `${kept}…`;
}

/** Rows as aligned columns under an upper-case header; "(none)" for no rows. */
export function table(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((row) => columns.map((column) => cell(row[column])));
  const header = columns.map((column) => column.toUpperCase());
  const widths = columns.map((_, i) => Math.max(header[i].length, ...cells.map((line) => displayWidth(line[i]))));
  const line = (values: string[]) =>
    values
      .map((value, i) => (i === values.length - 1 ? value : `${value}${' '.repeat(widths[i] - displayWidth(value))}`))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...cells.map(line)].join('\n')}\n`;
}

/** Where a page of a list stands: `page 2 of 3, 41 in all`; nothing for an empty list or an answer without counts. */
export function pageLine(page: Record<string, unknown>, what = 'in all'): string {
  if (typeof page.total_count !== 'number' || page.total_count === 0) return '';
  return `page ${String(page.page)} of ${String(page.total_pages)}, ${page.total_count} ${what}\n`;
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
