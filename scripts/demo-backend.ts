/**
 * A stand-in backend for the blob channel: polls the requests container and answers each new
 * request blob, after --delay ms, with a JSON reply blob `{id}.json` in the container its
 * `replyto` metadata names: `{ operation, echo, answeredAt }` (echo = the request JSON, or its
 * size and content type for other bodies). Handled requests are moved to `requests-handled`
 * (not deleted) so what was dispatched stays inspectable, e.g. to check a request went out once.
 *
 *   node dist/scripts/demo-backend.js [--delay ms] [--interval ms] [--status N]
 *                                     [--connection C] [--requests C] [--handled C]
 *
 * Stops cleanly on SIGINT/SIGTERM: no new work, in-flight replies finish.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { blobStoreFor, type BlobStore, type StoredBlob } from '../src/gateway/blob-store.js';
import { isContainerName } from '../src/gateway/config.js';
import { isRequestId } from '../src/gateway/contract.js';
import { isHttpStatus } from '../src/gateway/contract-guards.js';
import { isJsonMediaType } from '../src/gateway/submission.js';
import { CliUsageError, parseCliArgs, runCli } from './reply.js';

const USAGE =
  'usage: node dist/scripts/demo-backend.js [--delay ms] [--interval ms] [--status N] [--connection C] [--requests C] [--handled C]';

export interface BackendArgs {
  delayMs: number;
  intervalMs: number;
  status?: number;
  connection: string;
  requests: string;
  handled: string;
}

export function parseBackendArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BackendArgs {
  const { positional, options } = parseCliArgs(argv, ['delay', 'interval', 'status', 'connection', 'requests', 'handled'], USAGE);
  if (positional.length > 0) throw new CliUsageError(`unexpected argument ${positional[0]}`, USAGE);
  const millis = (name: string, fallback: number) => {
    const raw = options[name];
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) throw new CliUsageError(`--${name} must be a whole number of milliseconds`, USAGE);
    return Number(raw);
  };
  const containerOption = (name: string, fallback: string) => {
    const value = options[name] ?? fallback;
    if (!isContainerName(value)) throw new CliUsageError(`--${name}: "${value}" is not a container name`, USAGE);
    return value;
  };
  const status = options.status === undefined ? undefined : Number(options.status);
  if (status !== undefined && !isHttpStatus(status)) throw new CliUsageError('--status must be 200-599', USAGE);
  const requests = containerOption('requests', env.GATEWAY_REQUESTS_CONTAINER ?? 'requests');
  return {
    delayMs: millis('delay', 500),
    intervalMs: Math.max(10, millis('interval', 200)),
    ...(status !== undefined ? { status } : {}),
    connection: options.connection ?? env.AzureWebJobsStorage ?? 'UseDevelopmentStorage=true',
    requests,
    handled: containerOption('handled', `${requests}-handled`),
  };
}

/** The demo answer: what a real backend would compute, here an echo. */
export function demoReply(request: StoredBlob, body: Buffer, now: Date): unknown {
  let echo: unknown = { bytes: body.length, contentType: request.contentType };
  if (isJsonMediaType(request.contentType)) {
    try {
      echo = JSON.parse(body.toString('utf8'));
    } catch {
      // Keep the size summary: the gateway only lets valid JSON through, but be lenient here.
    }
  }
  return { operation: request.metadata.operation ?? null, echo, answeredAt: now.toISOString() };
}

async function answer(store: BlobStore, args: BackendArgs, name: string, fallbackReplyTo: string): Promise<string> {
  const request = await store.describe(args.requests, name);
  if (request === undefined) return 'gone';
  const body = await store.read(args.requests, name, request.etag);
  if (body === undefined) return 'gone';
  const replyTo = request.metadata.replyto ?? fallbackReplyTo;
  if (!isContainerName(replyTo)) return `skipped: replyto "${replyTo}" is not a container`;
  const reply = Buffer.from(JSON.stringify(demoReply(request, body, new Date())), 'utf8');
  await store.write(replyTo, `${name}.json`, reply, {
    contentType: 'application/json',
    metadata: args.status !== undefined ? { status: String(args.status) } : {},
  });
  await store.move(request, { container: args.handled, name }, { answeredat: new Date().toISOString() });
  return `answered → ${replyTo}/${name}.json`;
}

export async function runBackend(args: BackendArgs, signal: AbortSignal, log: (line: string) => void = console.log): Promise<void> {
  const store = blobStoreFor(args.connection);
  const fallbackReplyTo = process.env.GATEWAY_REPLIES_CONTAINER ?? 'replies';
  const seen = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  log(`demo backend: watching ${args.requests} every ${args.intervalMs} ms, answering after ${args.delayMs} ms`);
  while (!signal.aborted) {
    try {
      for await (const name of store.list(args.requests)) {
        if (seen.has(name)) continue;
        seen.add(name);
        if (!isRequestId(name)) {
          log(`skipped ${name}: not a request id`);
          continue;
        }
        const work = sleep(args.delayMs)
          .then(() => answer(store, args, name, fallbackReplyTo))
          .then((what) => log(`${name}: ${what}`))
          .catch((error: unknown) => {
            // Forget it so the next poll tries again.
            seen.delete(name);
            log(`${name}: failed (${error instanceof Error ? error.message : String(error)}); will retry`);
          })
          .finally(() => inFlight.delete(work));
        inFlight.add(work);
      }
    } catch (error) {
      log(`listing ${args.requests} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    await sleep(args.intervalMs, undefined, { signal }).catch(() => undefined);
  }
  await Promise.all(inFlight);
  log('demo backend: stopped');
}

if (require.main === module) {
  runCli(async () => {
    const args = parseBackendArgs(process.argv.slice(2));
    const stop = new AbortController();
    for (const name of ['SIGINT', 'SIGTERM'] as const) process.once(name, () => stop.abort());
    await runBackend(args, stop.signal);
  });
}
