import { HttpStatus } from '@nestjs/common';

export interface ValidationErrorItem {
  field: string;
  message: string;
}

/** The RFC 9457 body of every error answer (PRODUCT.md §1). */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  request_id: string;
  instance: string;
  validation_errors?: ValidationErrorItem[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * The one error type that becomes an HTTP answer. Features throw it (or a subclass carrying their
 * own codes); the exception filter renders it.
 */
/**
 * The challenge of every 401 (PRODUCT.md §3.4, RFC 6750 §3). Answers that know more add to it:
 * `, error="invalid_token"` once a token was presented, the MCP endpoint its `resource_metadata`.
 */
export const BEARER_CHALLENGE = 'Bearer realm="vibexp"';

export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly status: HttpStatus,
    readonly code: string,
    readonly detail: string,
    readonly extras: {
      validationErrors?: ValidationErrorItem[];
      headers?: Record<string, string>;
    } = {},
  ) {
    super(detail);
  }
}

export function problemTypeUri(code: string): string {
  return `https://docs.vibexp.io/errors/${code.toLowerCase().replace(/_/g, '-')}`;
}

export function titleForStatus(status: number): string {
  const name = HttpStatus[status];
  if (!name) return 'Error';
  return name
    .toLowerCase()
    .split('_')
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join(' ');
}
