import { Transform } from 'class-transformer';
import { Matches } from 'class-validator';

/**
 * An email address as it is stored and shown: in Unicode compatibility form (NFKC), then trimmed (NFKC turns
 * some accents written alone into a space and the accent). Without it, an
 * address written with a look-alike such as the Kelvin sign (U+212A) would be stored as written, yet compared
 * in lower case as the plain letter's: one account would show an address that is not the one it holds.
 */
export const emailAsStored = (email: string): string => email.normalize('NFKC').trim();

/** Something, an @, and a domain with a dot: the shape of an address, loose enough for every address signup took. */
export const EMAIL_SHAPE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** The form two addresses are compared in (sign-up uniqueness, login, the administrator's lookup). */
export const normalizedEmail = (email: string): string => emailAsStored(email).toLowerCase();

/** Stores an email property as `emailAsStored` (before it is validated, so the stored form is the checked one). */
export const EmailAsStored = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? emailAsStored(value) : value));

/**
 * An address without the characters NFKC keeps that would make one account look like another in the admin's list
 * (`alice\u200b@…` is shown as `alice@…`): controls, format characters (zero-width spaces and joiners, soft
 * hyphens, bidirectional controls such as U+202E, which shows an address reversed), spaces, and the other code
 * points Unicode says to show as nothing (combining grapheme joiner, variation selectors, Hangul fillers).
 */
const VISIBLE_EMAIL = /^[^\p{Cc}\p{Cf}\p{Z}\p{Default_Ignorable_Code_Point}]*$/u;

/** That check, as a sign-up field's (after EmailAsStored). */
export const IsVisibleEmail = () =>
  Matches(VISIBLE_EMAIL, {
    message: 'must not contain invisible, formatting or bidirectional characters (such as U+200B or U+202E)',
  });
