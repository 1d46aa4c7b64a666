/**
 * Calls the gateway from a terminal with the package's client (src/client): sends one request
 * and prints the backend's answer however the gateway gives it, sync or 202 → polls → result.
 *
 *   npm run call -- <operation> <json | @file | -> [--async] [--wait N] [--key K | --new-key]
 *                   [--base URL] [--content-type T]
 *
 * stdout: the answer's body, byte for byte (so it pipes). stderr: each retry and poll, then the
 * status line and the request id. Exit 0 with the backend's answer, whatever its status; 1 on a
 * gateway problem (printed) or any other failure; 2 on a usage error; 130 on Ctrl-C.
 * Base URL: --base, else GATEWAY_URL, else http://127.0.0.1:7071 (`npm start`).
 */
import { readFileSync } from 'node:fs';
import { type CallOptions, callGateway, GatewayProblemError } from '../src/client/index.js';
import { isJsonMediaType } from '../src/gateway/contract.js';
import { CliUsageError, parseCliArgs, runCli } from './reply.js';

const USAGE =
  'usage: npm run call -- <operation> <json | @file | -> [--async] [--wait N] [--key K | --new-key] [--base URL] [--content-type T]';

const FLAGS = ['--async', '--new-key'];

export interface CallArgs {
  base: string;
  operation: string;
  body: Buffer;
  contentType: string;
  options: Pick<CallOptions, 'respondAsync' | 'wait' | 'idempotencyKey'>;
}

function readSource(source: string, stdin: () => Buffer): Buffer {
  if (source === '-') return stdin();
  if (!source.startsWith('@')) return Buffer.from(source, 'utf8');
  const file = source.slice(1);
  try {
    return readFileSync(file);
  } catch {
    throw new CliUsageError(`cannot read ${file}`, USAGE);
  }
}

export function parseCallArgs(argv: string[], env: NodeJS.ProcessEnv = process.env, stdin = () => readFileSync(0)): CallArgs {
  // reply.ts's parser takes options with values only; the two flags are picked out first.
  const flags = new Set(argv.filter((a) => FLAGS.includes(a)));
  const { positional, options } = parseCliArgs(
    argv.filter((a) => !FLAGS.includes(a)),
    ['wait', 'key', 'base', 'content-type'],
    USAGE,
  );
  const [operation, source, ...extra] = positional;
  if (operation === undefined || source === undefined || extra.length > 0)
    throw new CliUsageError('expected <operation> and <json | @file | ->', USAGE);
  if (flags.has('--new-key') && options.key !== undefined) throw new CliUsageError('--key and --new-key exclude each other', USAGE);
  let wait: number | undefined;
  if (options.wait !== undefined) {
    if (!/^\d{1,9}$/.test(options.wait)) throw new CliUsageError('--wait must be a whole number of seconds', USAGE);
    wait = Number(options.wait);
  }
  const contentType = options['content-type'] ?? 'application/json';
  const body = readSource(source, stdin);
  if (isJsonMediaType(contentType)) {
    try {
      JSON.parse(body.toString('utf8'));
    } catch {
      throw new CliUsageError('the body is not valid JSON; pass --content-type for other content', USAGE);
    }
  }
  const idempotencyKey = flags.has('--new-key') ? true : options.key;
  return {
    base: options.base ?? env.GATEWAY_URL ?? 'http://127.0.0.1:7071',
    operation,
    body,
    contentType,
    options: {
      ...(flags.has('--async') ? { respondAsync: true } : {}),
      ...(wait !== undefined ? { wait } : {}),
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    },
  };
}

async function main(): Promise<void> {
  const args = parseCallArgs(process.argv.slice(2));
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  const err = (line: string): void => void process.stderr.write(`${line}\n`);
  try {
    const answer = await callGateway(args.base, args.operation, new Uint8Array(args.body), {
      ...args.options,
      contentType: args.contentType,
      signal: abort.signal,
      onAccepted: (a) => err(`202 accepted: request id ${a.requestId ?? '?'}, polling ${a.location}`),
      onRetry: (r) => err(`retry ${r.attempt} in ${r.delayMs} ms: ${r.reason}`),
      onStatus: (s, info) =>
        err(`poll ${info.poll}: ${s.status}${info.nextPollMs !== undefined ? ` (next in ${info.nextPollMs} ms)` : ''}`),
    });
    err(`HTTP ${answer.status} ${answer.contentType ?? ''}`.trimEnd());
    err(`request id: ${answer.requestId}`);
    if (answer.idempotencyKey !== undefined) err(`idempotency key: ${answer.idempotencyKey}`);
    process.stdout.write(answer.body);
  } catch (error) {
    if (abort.signal.aborted) {
      err('aborted');
      process.exitCode = 130;
      return;
    }
    if (!(error instanceof GatewayProblemError)) throw error;
    err(`HTTP ${error.status} ${error.title}`);
    if (error.requestId !== undefined) err(`request id: ${error.requestId}`);
    err(JSON.stringify(error.problem, null, 2));
    process.exitCode = 1;
  }
}

if (require.main === module) runCli(main);
