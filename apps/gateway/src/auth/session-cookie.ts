import type { Request, Response } from 'express';

export const SESSION_COOKIE = 'vx_session';

export function readSessionCookie(request: Request): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name !== SESSION_COOKIE) continue;
    try {
      return decodeURIComponent(value.join('='));
    } catch {
      return value.join('=');
    }
  }
  return undefined;
}

/** HttpOnly, SameSite=Lax, Secure over https; Max-Age follows the session's sliding expiry. */
export function writeSessionCookie(response: Response, token: string, expiresAt: string, secure: boolean): void {
  const maxAge = Math.max(0, Math.round((Date.parse(expiresAt) - Date.now()) / 1000));
  response.append(
    'Set-Cookie',
    `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`,
  );
}

export function clearSessionCookie(response: Response, secure: boolean): void {
  response.append(
    'Set-Cookie',
    `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`,
  );
}
