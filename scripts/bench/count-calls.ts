// Preloaded into the bench's host (`node --require`), never by the product:
// counts the host's Durable management API calls (the functions' HTTP hops into their own host)
// and the engine's log writes (each `fdatasync` is one group commit), and keeps the counts in
// the file named by BENCH_COUNTS_FILE, so the bench can read them between requests. Node's own
// `http.server.request.start` diagnostics channel sees the requests, so the host is unchanged.
import diagnostics from 'node:diagnostics_channel';
import fs from 'node:fs';
import type http from 'node:http';

const file = process.env.BENCH_COUNTS_FILE;
const counts: Record<string, number> = {};
let scheduled = false;
/** Renames one after another, so an older snapshot never lands over a newer one. */
let renaming: Promise<void> = Promise.resolve();
let written = 0;
/** The file is at most this stale (plus one rename); the bench waits longer than this before it reads. */
const FLUSH_MS = 100;

function count(key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
  if (scheduled || !file) return;
  scheduled = true;
  // At most one small write per FLUSH_MS however many calls came, so counting under load costs
  // next to nothing. The few hundred bytes are written synchronously (the promise API's thread-pool
  // round trips for open, write and close cost the host more than the write); the rename, which
  // can wait on the file system's journal for milliseconds, stays off the event loop. Each
  // snapshot has a name of its own and is renamed into place, so a reader never sees half a file.
  setTimeout(() => {
    // Calls from here on schedule the next write: none is left out of the file.
    scheduled = false;
    const aside = `${file}.${process.pid}.${written++}.tmp`;
    try {
      fs.writeFileSync(aside, JSON.stringify(counts));
    } catch {
      return; // The bench removed the folder at the end of its run.
    }
    renaming = renaming.then(() => fs.promises.rename(aside, file)).catch(() => undefined);
  }, FLUSH_MS).unref();
}

/**
 * `/runtime/webhooks/durabletask/instances/abc/raiseEvent/reply?x` → `instances/{id}/raiseEvent`,
 * `…/orchestrators/gatewayOrchestrator/abc` → `orchestrators/gatewayOrchestrator`.
 */
function managementResource(url: string): string | undefined {
  const path = url.split('?')[0] ?? '';
  const m = /\/runtime\/webhooks\/durabletask\/(.*)$/.exec(path);
  if (!m) return undefined;
  const [kind = '', second, third] = (m[1] ?? '').split('/').filter(Boolean);
  if (kind === 'instances') return ['instances', second === undefined ? undefined : '{id}', third].filter(Boolean).join('/');
  if (kind === 'orchestrators') return `orchestrators/${second ?? ''}`;
  return kind || '/';
}

diagnostics.subscribe('http.server.request.start', (message) => {
  const { request } = message as { request: http.IncomingMessage };
  const resource = managementResource(request.url ?? '');
  if (resource !== undefined) count(`management ${request.method ?? '?'} ${resource}`);
});

const fdatasync = fs.fdatasync;
fs.fdatasync = ((fd: number, callback: fs.NoParamCallback) => {
  count('log write (fdatasync)');
  fdatasync(fd, callback);
}) as typeof fs.fdatasync;
