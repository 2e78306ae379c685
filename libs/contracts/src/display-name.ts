import { Matches, ValidateBy } from 'class-validator';

/**
 * Characters a name shown to people must not hold: control characters and the line and paragraph separators
 * (a line break splits a key's row in the dashboard and a line of the CLI's table), the bidirectional controls
 * (U+202E makes `txt.exe` of `exe.txt`, so a name would read as something else in the dashboard and the audit
 * log), and the invisible zero-width space and byte order mark (two names that look the same). Other format
 * characters stay allowed: the zero-width joiner builds emoji.
 */
const DISPLAYABLE = /^[^\p{Cc}\p{Zl}\p{Zp}\u061C\u200B\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]*$/u;

/** Whether a name people read (an account's, a key's) holds no control characters and no bidirectional controls. */
export const isDisplayName = (text: string): boolean => DISPLAYABLE.test(text);

/** The same, as a DTO field's check. */
export const IsDisplayName = () =>
  Matches(DISPLAYABLE, {
    message: 'must not contain control characters or bidirectional controls (such as U+202E)',
  });

/**
 * A content item's name or title (a prompt's name, an artifact's or memory's title): shown in lists and sent to MCP
 * clients, so it holds no control characters, line breaks or the bidirectional embeddings and overrides that make
 * it read as something else (U+202A–U+202E). Unlike a key's or an account's name it keeps the marks and isolates
 * (U+200E, U+200F, U+061C, U+2066–U+2069) and the zero-width space that right-to-left and Thai writing use.
 */
const TITLE_TEXT = /^[^\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\uFEFF]*$/u;

/** Blank text passes: it is refused as blank (NotBlank), one message a field. */
export const IsTitleText = () =>
  ValidateBy({
    name: 'isTitleText',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || value.trim() === '' || TITLE_TEXT.test(value),
      defaultMessage: () =>
        'must not contain control characters, line breaks or bidirectional overrides (such as U+202E)',
    },
  });
