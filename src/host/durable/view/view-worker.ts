/**
 * The view's worker thread: the view writer (view-writer.ts) with storage clients of its own, fed
 * by the engine's thread through view-protocol.ts. Started by view-thread.ts, never imported.
 * Everything the writer costs (row building, the storage SDKs' request pipeline, gzip, retries)
 * runs here, off the event loop that serves HTTP and runs the engine.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { blobServiceClient, tableClient } from '../../../connections/storage-clients.js';
import type { FromViewWorker, ToViewWorker, ViewWorkerData } from './view-protocol.js';
import { ViewWriter } from './view-writer.js';

const port = parentPort;
if (!port) throw new Error('view-worker runs as a worker thread (view-thread.ts starts it)');
const data = workerData as ViewWorkerData;
const post = (m: FromViewWorker): void => port.postMessage(m);

let saturated = false;
const writer = new ViewWriter({
  instances: tableClient(data.connection, data.instancesTable),
  history: tableClient(data.connection, data.historyTable),
  hubName: data.hubName,
  largeMessages: blobServiceClient(data.connection).getContainerClient(data.largeMessagesContainer),
  log: (level, message) => post({ kind: 'log', level, message }),
  delayMs: data.delayMs,
  maxConcurrency: data.maxConcurrency,
  busyShare: data.busyShare,
  // The engine's thread is what must not be slowed; this thread's own loop is mostly idle.
  saturated: () => saturated,
});

port.on('message', (m: ToViewWorker) => {
  switch (m.kind) {
    case 'changes':
      for (const c of m.changes) {
        if (c.kind === 'update') writer.update(c.snapshot, c.appended, c.firstSequence);
        else writer.remove(c.instanceId);
      }
      return;
    case 'start':
      writer.start();
      return;
    case 'load':
      saturated = m.saturated;
      return;
    case 'flush':
      void writer.flush().then(() => post({ kind: 'flushed', id: m.id }));
      return;
    case 'lag':
      post({ kind: 'lag', id: m.id, lag: writer.lag() });
      return;
    case 'stop':
      void writer.stop().then(() => post({ kind: 'stopped' }));
      return;
  }
});
