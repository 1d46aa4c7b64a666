import type { ServerResponse } from 'node:http';
import type { Cookie, HttpResponse } from '@azure/functions';

/** Host-level answers (404, 405, 413, management API): problem+json for errors, JSON otherwise. */
export function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const isProblem = status >= 400 && typeof body === 'object' && body !== null && 'title' in body;
  const text = body === undefined || body === '' ? '' : JSON.stringify(body);
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (text) res.setHeader('Content-Type', isProblem ? 'application/problem+json' : 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** Writes the function's `HttpResponse` faithfully: status, every header, cookies, body bytes. */
export async function writeFunctionResponse(res: ServerResponse, response: HttpResponse): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  res.statusCode = response.status;
  const cookies = response.cookies.map(serializeCookie);
  for (const [k, v] of response.headers) {
    if (k.toLowerCase() === 'set-cookie') cookies.unshift(v);
    else res.setHeader(k, v);
  }
  if (cookies.length) res.setHeader('Set-Cookie', cookies);
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

function serializeCookie(c: Cookie): string {
  const parts = [`${c.name}=${c.value}`];
  if (c.domain) parts.push(`Domain=${c.domain}`);
  if (c.path) parts.push(`Path=${c.path}`);
  if (c.expires) parts.push(`Expires=${new Date(c.expires).toUTCString()}`);
  if (c.maxAge !== undefined) parts.push(`Max-Age=${c.maxAge}`);
  if (c.secure) parts.push('Secure');
  if (c.httpOnly) parts.push('HttpOnly');
  if (c.sameSite) parts.push(`SameSite=${c.sameSite}`);
  return parts.join('; ');
}
