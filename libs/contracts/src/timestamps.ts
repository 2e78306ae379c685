import { ValidateBy } from 'class-validator';

/** A real calendar date: Date would roll 2024-02-30 over to March 1st. */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  // setUTCFullYear, not Date.UTC, which reads the years 0 to 99 as 1900 to 1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** RFC 3339 `date-time`: full date, `T`, time, and a `Z` or numeric offset (no date alone, no local time). */
const RFC3339_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/**
 * PRODUCT.md §1's timestamps. Stricter than ISO 8601 on purpose: week dates (`2026-W48`), ordinal dates
 * and basic format are ISO 8601 too, and PostgreSQL does not read them all. No leap second (`:60`):
 * JavaScript's Date cannot read one.
 */
export function isRfc3339DateTime(value: unknown): value is string {
  const match = typeof value === 'string' ? RFC3339_DATE_TIME.exec(value) : null;
  if (!match) return false;
  // Year 0000 is RFC 3339 too, but PostgreSQL has no year 0 (a query with it would fail, not answer 400).
  const year = Number(match[1]);
  return year >= 1 && isCalendarDate(year, Number(match[2]), Number(match[3]));
}

export const IsRfc3339DateTime = () =>
  ValidateBy({
    name: 'isRfc3339DateTime',
    validator: {
      validate: isRfc3339DateTime,
      defaultMessage: () => 'must be an RFC 3339 timestamp with a time zone, e.g. 2030-01-31T12:00:00Z',
    },
  });
