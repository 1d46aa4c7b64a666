/**
 * Writes the host's answers: its own (404, 408, 413... as RFC 9457 problem+json, each with a
 * `type` naming the status's meaning in RFC 9110), the management API's JSON, and a function's
 * `HttpResponse` exactly as the function built it.
 */
import type { ServerResponse } from 'node:http';
import type { Cookie, HttpResponse } from '@azure/functions';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
}

export function problemBody(status: number, title: string, detail: string): ProblemBody {
  return { type: `https://www.rfc-editor.org/rfc/rfc9110#status.${status}`, title, status, detail };
}

/** Host-level answers (404, 413, management API): problem+json for errors, JSON otherwise. */
export function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const isProblem = status >= 400 && typeof body === 'object' && body !== null && 'title' in body;
  const text =
    body === undefined || body === ''
      ? ''
      : JSON.stringify(isProblem && !('type' in body) ? { type: problemBody(status, '', '').type, ...body } : body);
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
