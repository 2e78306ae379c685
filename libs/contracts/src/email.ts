import { Transform } from 'class-transformer';

/**
 * An email address as it is stored and shown: in Unicode compatibility form (NFKC), then trimmed (NFKC turns
 * some accents written alone into a space and the accent). Without it, an
 * address written with a look-alike such as the Kelvin sign (U+212A) would be stored as written, yet compared
 * in lower case as the plain letter's: one account would show an address that is not the one it holds.
 */
export const emailAsStored = (email: string): string => email.normalize('NFKC').trim();

/** The form two addresses are compared in (sign-up uniqueness, login, the administrator's lookup). */
export const normalizedEmail = (email: string): string => emailAsStored(email).toLowerCase();

/** Stores an email property as `emailAsStored` (before it is validated, so the stored form is the checked one). */
export const EmailAsStored = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? emailAsStored(value) : value));
