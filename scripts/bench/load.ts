// The load generator: blocked HTTP clients over loopback with node:http (keep-alive, no socket
// cap). A sample ends when the whole response body is in; it is correct when it is a 200 whose
// body is the reply the backend sent for the id in X-Correlation-Id.
import http from 'node:http';
import { now } from './stats.js';

export interface Sample {
  id: string;
  status: number;
  ok: boolean;
  error?: string;
  tSubmit: number;
  tDone: number;
}

export class LoadClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  private readonly url: URL;
  private readonly inFlight = new Set<http.ClientRequest>();

  /** `waitSeconds` goes out as `Prefer: wait=N`; the socket gives up 30 s after it. */
  constructor(
    submitUrl: string,
    private readonly waitSeconds: number,
  ) {
    this.url = new URL(submitUrl);
  }

  submit(n: number): Promise<Sample> {
    const body = Buffer.from(JSON.stringify({ n }));
    const tSubmit = now();
    return new Promise((resolve) => {
      const done = (fields: Omit<Sample, 'tSubmit' | 'tDone'>) => resolve({ ...fields, tSubmit, tDone: now() });
      const req = http.request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length, prefer: `wait=${this.waitSeconds}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => done({ id: '', status: res.statusCode ?? 0, ok: false, error: e.message }));
          res.on('end', () => {
            const id = String(res.headers['x-correlation-id'] ?? '');
            const text = Buffer.concat(chunks).toString('utf8');
            const ok = res.statusCode === 200 && id !== '' && replyId(text) === id;
            done({ id, status: res.statusCode ?? 0, ok, ...(ok ? {} : { error: `HTTP ${res.statusCode}: ${text.slice(0, 200)}` }) });
          });
        },
      );
      req.setTimeout((this.waitSeconds + 30) * 1000, () => req.destroy(new Error('client timeout')));
      req.on('error', (e) => done({ id: '', status: 0, ok: false, error: e.message }));
      req.on('close', () => this.inFlight.delete(req));
      this.inFlight.add(req);
      req.end(body);
    });
  }

  /** Gives up every request still waiting; each ends as a failed sample with this reason. */
  abort(reason: string): void {
    for (const req of this.inFlight) req.destroy(new Error(reason));
  }

  /** Drops the kept-alive sockets (each scenario gets fresh ones). */
  close(): void {
    this.agent.destroy();
  }
}

function replyId(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { id?: unknown };
    return typeof parsed.id === 'string' ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}

export interface LoopLimits {
  /** Stop starting requests after this many in all. */
  total?: number;
  /** Stop starting requests at this `now()`. */
  until?: number;
}

/** Aborted on Ctrl-C: loops start no new request, and the run ends without writing results. */
export const interruption = new AbortController();

/** `clients` workers, each sending its next request when the previous one is answered. */
export async function closedLoop(client: LoadClient, clients: number, limits: LoopLimits): Promise<Sample[]> {
  const samples: Sample[] = [];
  let started = 0;
  const more = () => started < (limits.total ?? Infinity) && now() < (limits.until ?? Infinity) && !interruption.signal.aborted;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (more()) samples.push(await client.submit(started++));
    }),
  );
  return samples;
}

/**
 * `n` clients blocked at once, connecting in waves, with at most `window` of them not yet seen by
 * the backend (`seen()` counts those it has): a stack that takes calls in more slowly than they
 * come (a busy host, thousands of clients) leaves the rest waiting in the client instead of
 * overflowing the server's accept queue and its header timeout, which showed as ECONNRESET. Past
 * `stallMs` without progress the rest go anyway, so a stuck stack shows as unanswered clients.
 */
export async function fireAll(
  client: LoadClient,
  n: number,
  admission: { seen: () => number; window: number; stallMs: number },
  wave = 100,
  gapMs = 20,
): Promise<Sample[]> {
  const pending: Promise<Sample>[] = [];
  let progressAt = now();
  let lastSeen = admission.seen();
  for (let i = 0; i < n && !interruption.signal.aborted; i++) {
    if (i > 0 && i % wave === 0) await new Promise((r) => setTimeout(r, gapMs));
    while (i - admission.seen() >= admission.window && now() - progressAt < admission.stallMs && !interruption.signal.aborted) {
      await new Promise((r) => setTimeout(r, 5));
      if (admission.seen() !== lastSeen) [lastSeen, progressAt] = [admission.seen(), now()];
    }
    pending.push(client.submit(i));
  }
  return Promise.all(pending);
}
