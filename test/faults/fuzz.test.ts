// Seeded random HTTP against every public route of the gateway, over real HTTP against the local
// host, Azurite, the real Durable SDK and the demo backend: methods, paths, headers (malformed
// `Host` among them), bodies, content types, Idempotency-Key and Prefer drawn from a PRNG. No
// answer may be a 5xx or hang, and every 4xx is application/problem+json with a `type`.
// FUZZ_SEED=<n> replays a run (FUZZ_ONLY=<index> one request of it); a failure names the seed,
// the index and the request, whole.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submit, uniqueOperation } from '../e2e/gateway-client.js';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const COUNT = 2000;
// FUZZ_ONLY=<index> sends just that request of the seed's run (each is drawn from its own stream).
const ONLY = process.env.FUZZ_ONLY === undefined ? undefined : Number(process.env.FUZZ_ONLY);
const PARALLEL = 8;
// A request that takes longer than this counts as a hang (the sync wait is 20 s, the backend answers in ms).
const ANSWER_WITHIN_MS = 45_000;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
const chance = (r: Rand, p: number): boolean => r() < p;

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Sent in two chunks without Content-Length (chunked transfer encoding). */
  chunked: boolean;
}

// Every method the gateway's functions declare (the Functions method set but TRACE and CONNECT);
// a method no function declares gets the host's empty 404, as on Azure (test/host/http-front.test.ts).
// The right ones weigh more, so that valid requests get through often enough to reach the handlers.
const METHODS = ['GET', 'GET', 'GET', 'POST', 'POST', 'POST', 'DELETE', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS'] as const;

/** Ids: real ones (made in beforeAll), well-formed unknown ones, and malformed ones. */
function requestId(r: Rand, known: readonly string[]): string {
  return pick(r, [
    () => pick(r, known),
    () => pick(r, known),
    () => '00000000-0000-4000-8000-000000000000',
    () => 'a'.repeat(64),
    () => 'a'.repeat(65),
    () => '..%2F..%2Fetc',
    () => 'a.b',
    () => '%C3%A9t%C3%A9',
    () => 'a%00b',
    () => '%ZZ',
    () => '',
    () => randomText(r, 1 + Math.floor(r() * 40), URL_SAFE),
  ])();
}

const URL_SAFE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%';
const ANY_PRINTABLE = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~';

function randomText(r: Rand, length: number, alphabet: string): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet.charAt(Math.floor(r() * alphabet.length));
  return s;
}

function operation(r: Rand): string {
  return pick(r, ['echo', 'orders.create', 'a'.repeat(200), 'bad%20op', '...', '%2E%2E', 'x;y', randomText(r, 12, URL_SAFE)]);
}

function path(r: Rand, known: readonly string[]): string {
  const id = () => requestId(r, known);
  const route = pick(r, [
    () => `/api/requests/${operation(r)}`,
    () => `/api/requests/${operation(r)}`,
    () => `/api/requests/${operation(r)}`,
    () => `/api/status/${id()}`,
    () => `/api/status/${id()}`,
    () => `/api/results/${id()}`,
    () => `/api/results/${id()}`,
    () => '/api/console',
    () => '/api/console/requests',
    () => `/api/console/requests/${id()}/reply`,
    () => `/api/console/requests/${id()}/reply`,
    () => '/api/rejected',
    () => `/api/rejected/${pick(r, [id(), '..%2Fx', 'a/b', 'replies-rejected', randomText(r, 20, URL_SAFE)])}`,
    () => `/api/rejected/${pick(r, [id(), randomText(r, 20, URL_SAFE)])}/replay`,
    () => '/api/requests',
    () => '/api/',
    () => `/api/${randomText(r, 10, URL_SAFE)}`,
    () => `/${randomText(r, 8, URL_SAFE)}`,
  ])();
  if (!chance(r, 0.3)) return route;
  const query = pick(r, [
    'code=nonsense',
    'top=abc',
    'top=-1',
    'top=100000',
    'requestId=..',
    `requestId=${id()}`,
    'continuationToken=garbage',
    'reason=late',
    'reason=%FF',
    `x=${randomText(r, 30, URL_SAFE)}`,
    'a=1&a=2&&=',
  ]);
  return `${route}?${query}`;
}

function hostHeader(r: Rand, authority: string): string | undefined {
  if (!chance(r, 0.15)) return authority;
  return pick(r, ['a b', '[', '127.0.0.1:99999', '', 'evil.example', '[::1', 'x'.repeat(300), '%', 'h:', ':80', undefined]);
}

function jsonBody(r: Rand): string {
  return pick(r, [
    '{}',
    '{"order":42}',
    `{"nonce":"${randomText(r, 8, URL_SAFE)}"}`,
    '[1,2,3]',
    '"text"',
    'null',
    '{"body":"{}","contentType":"application/json"}',
    '{"body":"{\\"ok\\":true}","contentType":"application/json","status":201,"via":"blob"}',
    '{"body":1,"status":"x"}',
    '{"body":"{}","status":99999}',
    '{"body":"{}","via":"carrier-pigeon"}',
  ]);
}

function body(r: Rand): Buffer | undefined {
  return pick(r, [
    () => undefined,
    () => Buffer.alloc(0),
    () => Buffer.from(jsonBody(r)),
    () => Buffer.from(jsonBody(r)),
    () => Buffer.from(jsonBody(r)),
    () => Buffer.from('{"a":'),
    () => Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
    () => Buffer.from(Array.from({ length: 1 + Math.floor(r() * 512) }, () => Math.floor(r() * 256))),
    () => Buffer.from(randomText(r, 200, ANY_PRINTABLE)),
    // Over GATEWAY_MAX_BODY_BYTES (1 MiB in TEST_SETTINGS), rarely: 413.
    () => (chance(r, 0.2) ? Buffer.alloc(1_048_577, 0x61) : Buffer.from('{}')),
  ])();
}

const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/vnd.acme+json',
  'text/plain',
  'application/octet-stream',
  'application/json; charset=latin1',
  'a/b/c',
  '',
  ';;;',
  'multipart/form-data; boundary=x',
];

const PREFERS = [
  'respond-async',
  'respond-async',
  'respond-async, wait=5',
  'wait=30',
  'wait=abc',
  'wait=-1',
  'wait=99999',
  'wait=1.5',
  'respond-async; foo="bar',
  'handling=strict, respond-async',
  ',,,',
  '=',
  'respond-async, respond-async',
];

function fuzzRequest(seed: number, index: number, authority: string, known: readonly string[]): FuzzRequest {
  // Each request from its own stream, so one can be replayed alone from the seed and its index.
  const r = prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const method = pick(r, METHODS);
  const headers: Record<string, string> = {};
  const host = hostHeader(r, authority);
  if (host !== undefined) headers.host = host;
  const content = method === 'HEAD' || method === 'OPTIONS' ? (chance(r, 0.1) ? body(r) : undefined) : body(r);
  if (content !== undefined || chance(r, 0.3)) {
    const type = pick(r, CONTENT_TYPES);
    if (type !== '' || chance(r, 0.5)) headers['content-type'] = type;
  }
  if (chance(r, 0.3)) headers.prefer = pick(r, PREFERS);
  else headers.prefer = 'respond-async';
  if (chance(r, 0.15))
    headers['idempotency-key'] = pick(r, [
      `key-${Math.floor(r() * 20)}`,
      `key-${Math.floor(r() * 20)}`,
      'has space',
      '',
      'k'.repeat(300),
      '\u00e9t\u00e9',
      randomText(r, 16, ANY_PRINTABLE),
    ]);
  if (chance(r, 0.1)) headers['x-functions-key'] = randomText(r, 10, URL_SAFE);
  if (chance(r, 0.1)) headers.accept = pick(r, ['application/json', 'text/html', '*/*', 'application/problem+json', ';']);
  if (chance(r, 0.05)) headers['x-correlation-id'] = requestId(r, known);
  return { method, path: path(r, known), headers, body: content, chunked: content !== undefined && chance(r, 0.15) };
}

interface FuzzAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Sends it as given (no Host of Node's own, no normalising), on its own connection. */
function send(url: string, fuzz: FuzzRequest): Promise<FuzzAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: fuzz.method,
        path: fuzz.path,
        headers: fuzz.headers,
        setHost: false,
        agent: false,
        timeout: ANSWER_WITHIN_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`)));
    req.on('error', reject);
    const bytes = fuzz.body;
    if (bytes === undefined) req.end();
    else if (fuzz.chunked) {
      // Node frames GET, HEAD, DELETE and OPTIONS bodies only when asked to.
      req.setHeader('transfer-encoding', 'chunked');
      req.write(bytes.subarray(0, bytes.length >> 1));
      req.end(bytes.subarray(bytes.length >> 1));
    } else {
      req.setHeader('content-length', bytes.length);
      req.end(bytes);
    }
  });
}

/** What is wrong with the answer, or undefined. */
function verdict(fuzz: FuzzRequest, answer: FuzzAnswer): string | undefined {
  if (answer.status >= 500) return `a ${answer.status}`;
  if (answer.status < 400) return undefined;
  const type = answer.headers['content-type'];
  if (type !== 'application/problem+json') return `a ${answer.status} with content type ${String(type)}`;
  if (fuzz.method === 'HEAD') return answer.body.length === 0 ? undefined : 'a body on HEAD';
  let problem: unknown;
  try {
    problem = JSON.parse(answer.body.toString('utf8'));
  } catch {
    return `a ${answer.status} whose body is not JSON`;
  }
  const p = problem as { type?: unknown; status?: unknown };
  if (typeof p.type !== 'string' || p.type === '') return `a ${answer.status} problem without a type`;
  if (p.status !== answer.status) return `a ${answer.status} problem saying status ${String(p.status)}`;
  return undefined;
}

function describeRequest(fuzz: FuzzRequest): string {
  const preview =
    fuzz.body === undefined ? '(none)' : `${fuzz.body.length} bytes: ${JSON.stringify(fuzz.body.subarray(0, 200).toString('latin1'))}`;
  return `${fuzz.method} ${fuzz.path}\nheaders: ${JSON.stringify(fuzz.headers)}\nbody${fuzz.chunked ? ' (chunked)' : ''}: ${preview}`;
}

let stack: GatewayStack;
const known: string[] = [];

beforeAll(async () => {
  stack = await startGatewayStack({ backend: { delayMs: 0 } });
  // Real ids in every state the routes distinguish: pending async ones, and answered ones.
  for (let i = 0; i < 6; i++) {
    const answer = await submit(stack, uniqueOperation('fuzz-known'), '{}', i < 3 ? { prefer: 'respond-async' } : {});
    known.push(answer.headers.get('x-correlation-id') ?? '');
  }
});
afterAll(async () => {
  await stack?.stop();
});

describe(`${COUNT} seeded random requests (FUZZ_SEED=${SEED})`, () => {
  it('answer without a 5xx or a hang; every 4xx is problem+json with a type', async () => {
    console.log(`fuzz: FUZZ_SEED=${SEED}, ${COUNT} requests`);
    const authority = new URL(stack.url).host;
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let next = ONLY ?? 0;
    const end = ONLY === undefined ? COUNT : ONLY + 1;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < end && failures.length < 5) {
          const index = next++;
          const fuzz = fuzzRequest(SEED, index, authority, known);
          let problem: string | undefined;
          try {
            const answer = await send(stack.url, fuzz);
            statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
            problem = verdict(fuzz, answer);
            if (problem !== undefined) problem += `; answer: ${answer.body.subarray(0, 300).toString('utf8')}`;
          } catch (error) {
            problem = `no answer: ${(error as Error).message}`;
          }
          if (problem !== undefined) failures.push(`FUZZ_SEED=${SEED} FUZZ_ONLY=${index}: ${problem}\n${describeRequest(fuzz)}`);
        }
      }),
    );
    console.log(`fuzz: statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
    expect(failures, failures.join('\n\n')).toEqual([]);
    // Not all refusals: the valid requests got through too (a fuzz that only hits 404s proves little).
    if (ONLY === undefined) expect([...statuses].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0)).toBeGreaterThan(COUNT / 50);
  }, 240_000);
});
