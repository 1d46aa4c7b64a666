// Bad framing and slow clients against the real host over raw sockets: malformed Host headers,
// parser refusals, slowloris headers, short and endless bodies are each answered with
// problem+json (never a 500, never left hanging), within the front's bounds, which the test sets
// small; and a response that takes longer than all of them still arrives. No timed assertions:
// each case asserts the answer and that it came, with a generous guard on the wait.
import { request as httpRequest } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHost } from '../../src/host/host.js';
import type { RunningAzurite } from '../../src/host/storage/azurite.js';
import { startTestAzurite, startTestHost } from '../support/stack.js';

const appDir = path.join(__dirname, '../fixtures/durable-app');
const GUARD_MS = 20_000;
let azurite: RunningAzurite;
let host: RunningHost;

beforeAll(async () => {
  azurite = await startTestAzurite();
  host = await startTestHost(azurite, { appDir, httpTimeouts: { headersMs: 500, bodyIdleMs: 500, bodyTotalMs: 1_500 } });
});
afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

/** How often the fixture's echo function has run (its preInvocation hook records each call). */
const echoRuns = (): number =>
  (((globalThis as Record<string, unknown>).__fixtureHooks as string[] | undefined) ?? []).filter((h) => h === 'pre:echo').length;

interface Raw {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `head` on a fresh connection, then `drip()` every 100 ms while the connection is open,
 * and reads until the host closes it (or, for a kept-alive answer, until the whole body is in).
 */
function exchange(head: string | Buffer, drip?: () => string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(host.port, '127.0.0.1', () => socket.write(head));
    let data = Buffer.alloc(0);
    const timer = drip ? setInterval(() => socket.writable && socket.write(drip()), 100) : undefined;
    const guard = setTimeout(
      () => finish(new Error(`no complete answer within ${GUARD_MS} ms; got ${JSON.stringify(data.toString('latin1'))}`)),
      GUARD_MS,
    );
    const finish = (err?: Error): void => {
      clearTimeout(guard);
      clearInterval(timer);
      socket.destroy();
      const parsed = parse(data);
      if (parsed) resolve(parsed);
      else reject(err ?? new Error(`connection closed without an answer; got ${JSON.stringify(data.toString('latin1'))}`));
    };
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const parsed = parse(data);
      if (parsed && Buffer.byteLength(parsed.body) >= Number(parsed.headers['content-length'] ?? Infinity)) finish();
    });
    socket.on('error', () => finish());
    socket.on('close', () => finish());
  });
}

function parse(data: Buffer): Raw | undefined {
  const text = data.toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine?.split(' ')[1]), headers, body: text.slice(end + 4) };
}

function expectProblem(answer: Raw, status: number, detail: RegExp): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  const problem = JSON.parse(answer.body) as { type: string; status: number; detail: string };
  expect(problem.status).toBe(status);
  expect(problem.type).toMatch(new RegExp(`^https://www\\.rfc-editor\\.org/rfc/rfc9110#status\\.${status}$`));
  expect(problem.detail).toMatch(detail);
}

const get = (hostLine: string | undefined, target = '/api/files/x', version = '1.1'): string =>
  `GET ${target} HTTP/${version}\r\n${hostLine === undefined ? '' : `Host:${hostLine}\r\n`}Connection: close\r\n\r\n`;

describe('a malformed Host header', () => {
  it.each([' a b', ' [', ' 127.0.0.1:99999', '', ' exa mple.com:80', ' host:port'])(
    'Host:%s → 400 problem+json naming the header',
    async (value) => {
      expectProblem(await exchange(get(value)), 400, /Host header/);
    },
  );

  it('a missing Host on HTTP/1.1 is a 400 problem+json; HTTP/1.0 may omit it', async () => {
    expectProblem(await exchange(get(undefined)), 400, /Host header is missing/);
    const old = await exchange(get(undefined, '/api/files/a/b', '1.0'));
    expect(old.status).toBe(200);
    expect(JSON.parse(old.body)).toEqual({ path: 'a/b' });
  });

  it('a well-formed Host still routes', async () => {
    const ok = await exchange(get(' example.test:8080', '/api/files/q?x=1'));
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ path: 'q' });
  });
});

describe("what Node's parser refuses", () => {
  it('an unknown method → 501 problem+json', async () => {
    expectProblem(await exchange('FOO /api/files/x HTTP/1.1\r\nHost: x\r\n\r\n'), 501, /method/);
  });

  it('oversized headers → 431 problem+json', async () => {
    expectProblem(await exchange(`GET /api/files/x HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431, /headers/);
  });

  it('a raw non-ASCII path → 400 problem+json', async () => {
    expectProblem(await exchange(Buffer.from('GET /api/files/\u00e4 HTTP/1.1\r\nHost: x\r\n\r\n', 'utf8')), 400, /percent-encoded/);
  });
});

/**
 * POSTs `bytes` to `target` the way a slow upload does, 64 KiB every 20 ms; resolves once the
 * answer is in and the upload has finished or failed, with both.
 */
function upload(target: string, bytes: number): Promise<{ status?: number; type?: string; uploadError?: string }> {
  return new Promise((resolve) => {
    const seen: { status?: number; type?: string; uploadError?: string } = {};
    let answered = false;
    let uploaded = false;
    const settle = (): void => void (answered && uploaded && resolve(seen));
    const req = httpRequest(
      { host: '127.0.0.1', port: host.port, method: 'POST', path: target, agent: false, headers: { 'content-length': bytes } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          Object.assign(seen, { status: res.statusCode, type: (JSON.parse(text) as { type: string }).type });
          answered = true;
          settle();
        });
      },
    );
    req.on('error', (err) => {
      seen.uploadError = err.message;
      answered = uploaded = true;
      settle();
    });
    req.on('finish', () => {
      uploaded = true;
      settle();
    });
    req.on('close', () => {
      if (!uploaded) seen.uploadError = `connection closed after ${sent} of ${bytes} bytes`;
      answered = uploaded = true;
      settle();
    });
    let sent = 0;
    const timer = setInterval(() => {
      if (req.destroyed) return clearInterval(timer);
      const n = Math.min(65_536, bytes - sent);
      sent += n;
      req.write(Buffer.alloc(n, 0x61));
      if (sent >= bytes) {
        clearInterval(timer);
        req.end();
      }
    }, 20);
  });
}

describe("the host's own refusals of a request still uploading", () => {
  it('read the rest of the body (up to 2 s) before answering: the client sees the 404 and its upload is not reset', async () => {
    const seen = await upload('/api/nowhere', 512 * 1024);
    expect(seen.uploadError).toBeUndefined();
    expect(seen.status).toBe(404);
    expect(seen.type).toMatch(/#status\.404$/);
  });
});

describe('slow and broken clients', () => {
  it('slowloris: headers that never finish → 408 problem+json', async () => {
    expectProblem(await exchange('GET /api/files/x HTTP/1.1\r\nHost: x\r\n', () => 'X-Drip: 1\r\n'), 408, /did not arrive in time/);
  });

  it('a body shorter than its Content-Length → 408 problem+json, the function never runs', async () => {
    const before = echoRuns();
    expectProblem(
      await exchange('PUT /api/echo/abc HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc'),
      408,
      /No body bytes arrived .*\(3 received of 10 declared\)/,
    );
    expect(echoRuns()).toBe(before);
  });

  it('an endless chunked body → 408 problem+json once the body bound passes', async () => {
    const answer = await exchange('PUT /api/echo/abc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', () => '1\r\na\r\n');
    expectProblem(answer, 408, /did not arrive within 1500 ms/);
    expect(answer.headers.connection).toBe('close');
  });

  it('a response that takes longer than every request bound still arrives', async () => {
    const res = await fetch(`${host.url}/api/start/slowWork?wait=30000`, { method: 'POST', body: '3500' });
    expect(res.status).toBe(200);
    expect(await res.json()).toBe('slept 3500');
  });
});
