/**
 * The dashboard's calls to the REST API: same origin, the session cookie, and the CSRF token of the
 * session on every unsafe method (PRODUCT.md §2). The token comes with login/signup and is kept in
 * localStorage so a reload or a second tab still has it; logout forgets it.
 */
export const CSRF_STORAGE = 'vx_csrf';

export interface Problem {
  status: number;
  code?: string;
  detail?: string;
  validation_errors?: { field: string; message: string }[];
}

export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problemText(problem));
  }
}

export function problemText(problem: Problem): string {
  const detail = problem.detail ?? `request failed (${problem.status})`;
  const errors = problem.validation_errors ?? [];
  // "the request is not valid: see validation_errors" speaks to a program: a person reads the fields instead.
  const generic = errors.length > 0 && detail.includes('see validation_errors');
  // Field messages the detail does not already say (it may name the field, or say the very message).
  const fields = errors
    .filter((error) => generic || !(detail.includes(error.message) || detail.includes(`\`${error.field}\``)))
    .map((error) => `${error.field.replace(/_/g, ' ')}: ${error.message}`);
  return (generic ? fields : [detail, ...fields]).join(' — ');
}

/** A form field's messages, by the field's top-level name: `working_hours.start` is shown at `working_hours`. */
export type FieldErrors = Record<string, string>;

/**
 * Refusals about one field that are not validation errors: a taken email (signup), a slug another item uses.
 * The detail says which, in words (`another prompt already uses this slug`).
 */
function conflictField(problem: Problem): string | null {
  if (problem.code === 'EMAIL_TAKEN') return 'email';
  if (problem.code === 'RESOURCE_EXISTS' && /\bslug\b/.test(problem.detail ?? '')) return 'slug';
  return null;
}

/**
 * The messages of an answer's `validation_errors` by the form field they belong to, to show beside it, and
 * those of a conflict about one field (a taken email or slug). A nested field keeps its inner path
 * (`start: must be HH:MM`); `(body)` and `(request)` belong to no field.
 */
export function fieldErrorsOf(caught: unknown): FieldErrors {
  if (!(caught instanceof ApiProblem)) return {};
  const conflict = conflictField(caught.problem);
  if (conflict) return { [conflict]: caught.problem.detail ?? 'already taken' };
  const errors: FieldErrors = {};
  for (const { field, message } of caught.problem.validation_errors ?? []) {
    const [top, ...inner] = field.split(/[.[]/);
    if (!top || top.startsWith('(')) continue;
    const text = inner.length > 0 ? `${field.slice(top.length).replace(/^\./, '')}: ${message}` : message;
    errors[top] = errors[top] ? `${errors[top]}; ${text}` : text;
  }
  return errors;
}

export function rememberCsrf(token: string | null): void {
  if (token) localStorage.setItem(CSRF_STORAGE, token);
  else localStorage.removeItem(CSRF_STORAGE);
}

export const hasCsrfToken = (): boolean => Boolean(localStorage.getItem(CSRF_STORAGE));

/**
 * A session whose CSRF token this browser lost (storage cleared, another tab's logout) can read but change
 * nothing, not even end itself, and the platform keeps only the token's hash, so it cannot be asked again.
 * The dashboard then treats it as signed out: the sign-in page, which starts a session with a new token.
 */
export const TOKEN_LOST = 'Sign in again to continue: this browser no longer has the security token of your session.';

/** Why the dashboard must show the sign-in page again, when an answer says the session is gone. */
export function sessionEndedBy(path: string, problem: Problem): string | null {
  // The sign-in calls say why they failed themselves, and logout decides what its failure means.
  if (/^\/api\/v1\/auth\/(login|signup|logout)\b/.test(path)) return null;
  if (problem.status === 401) return 'Your session has ended: sign in again.';
  if (problem.code === 'CSRF_FAILED') return TOKEN_LOST;
  return null;
}

/**
 * What a logout's failure means. A 401: there was no session to end, the user is signed out. A lost CSRF token:
 * the session cannot be ended from this browser; the sign-in page comes back saying so (signing in replaces the
 * browser's session, and logging out then ends it). Anything else left the session alive: the user stays
 * signed in and is told why.
 */
export function logoutFailure(
  caught: unknown,
): { signedOut: true; notice: string | null } | { signedOut: false; message: string } {
  if (caught instanceof ApiProblem && caught.problem.status === 401) return { signedOut: true, notice: null };
  if (caught instanceof ApiProblem && caught.problem.code === 'CSRF_FAILED')
    return {
      signedOut: true,
      notice:
        'You are not logged out yet: this browser lost the security token of your session, so it could not end ' +
        'it. Log in, then log out, to sign this browser out.',
    };
  const why = caught instanceof ApiProblem ? caught.message : 'the platform cannot be reached';
  return { signedOut: false, message: `Logging out failed (${why}). You are still signed in: try again.` };
}

let sessionEnded: (message: string) => void = () => undefined;

/** Who to tell when a call finds the session gone (the app shows the sign-in page). */
export function onSessionEnded(handler: (message: string) => void): void {
  sessionEnded = handler;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function api<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (UNSAFE.has(method)) headers['x-csrf-token'] = localStorage.getItem(CSRF_STORAGE) ?? '';
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = { detail: `the platform answered ${response.status} ${response.statusText}` };
  }
  if (!response.ok) {
    const problem: Problem = { status: response.status, ...(parsed as object) };
    const ended = sessionEndedBy(path, problem);
    if (ended) sessionEnded(ended);
    throw new ApiProblem(problem);
  }
  return parsed as T;
}

/** A query string of the values that are set. */
export function query(values: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values))
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** What to tell the user: a problem's text, an Error's message (without "Error:"), or the thing itself. */
export const messageOf = (caught: unknown): string =>
  caught instanceof ApiProblem || caught instanceof Error ? caught.message : String(caught);
