import { HttpStatus } from '@nestjs/common';
import { ProblemError } from '#common';

/** `…/versions/{n}/restore`: n is a positive integer, or the version simply does not exist. */
export function parseVersionNumber(text: string): number {
  const n = /^0*\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1) {
    // Said as it is: a number too large to be a version is not one "before 1".
    const why = /^\d+$/.test(text) && !/^0+$/.test(text) ? 'no item has that many versions' : 'versions start at 1';
    throw new ProblemError(
      HttpStatus.NOT_FOUND,
      'RESOURCE_NOT_FOUND',
      `there is no version ${text.slice(0, 20)}: ${why}`,
    );
  }
  return n;
}
