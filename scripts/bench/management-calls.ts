// One-off microbenchmark, not part of `npm run bench`: the client CPU of one Durable management
// call, for the SDK's stock client, the gateway's tuning through axios, and the gateway's lean
// stand-in (src/gateway/management-transport.ts). The client runs in this process, 16 loops of
// start, raise, status read; a stub of the management API answers from a child process so its CPU
// is not counted. Prints the median of 5 rounds of each, in µs per call.
//   node dist/scripts/bench/management-calls.js [rounds per loop set, default 2000]
import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DurableClient } from 'durable-functions';
import { leanManagementCalls, readsWithoutInput, steadyKeepAlive } from '../../src/gateway/durable-clients.js';
import { clientBindingData } from '../../src/host/durable/client-binding.js';

const LOOPS = 16;
const REPEATS = 5;

function serve(): void {
  const status = JSON.stringify({
    name: 'Gateway',
    instanceId: 'abc',
    runtimeStatus: 'Running',
    input: null,
    customStatus: null,
    output: null,
    createdTime: '2026-01-01T00:00:00Z',
    lastUpdatedTime: '2026-01-01T00:00:01Z',
  });
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && req.url?.includes('/orchestrators/')) {
        res.writeHead(202, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ id: 'abc' }));
      } else if (req.method === 'POST') {
        res.writeHead(202);
        res.end();
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(status);
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
}

async function loops(client: DurableClient, rounds: number): Promise<void> {
  let started = 0;
  const loop = async () => {
    while (started++ < rounds) {
      await client.startNew('Gateway', { input: { a: 1, b: 'hello' } });
      await client.raiseEvent('abc', 'Reply', { ok: true });
      await client.getStatus('abc', { showInput: false });
    }
  };
  await Promise.all(Array.from({ length: LOOPS }, loop));
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 2000);
  const stub = fork(__filename, ['--serve']);
  try {
    const port = await new Promise<number>((resolve) => stub.once('message', (message) => resolve(Number(message))));
    const data = clientBindingData({
      baseUrl: `http://127.0.0.1:${port}/runtime/webhooks/durabletask`,
      taskHubName: 'Hub',
      connectionName: 'Storage',
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK exports no typed way to make its client from binding data
    const { DurableClient: Client } = require('durable-functions/lib/src/durableClient/DurableClient.js') as {
      DurableClient: new (data: unknown) => DurableClient;
    };
    const kinds = {
      stock: new Client(data),
      axios: readsWithoutInput(steadyKeepAlive(new Client(data))),
      lean: leanManagementCalls(readsWithoutInput(steadyKeepAlive(new Client(data)))),
    };
    const perCall: Record<string, number[]> = { stock: [], axios: [], lean: [] };
    for (const client of Object.values(kinds)) await loops(client, rounds); // warm-up
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      for (const [kind, client] of Object.entries(kinds)) {
        const before = process.cpuUsage();
        await loops(client, rounds);
        const used = process.cpuUsage(before);
        perCall[kind]?.push((used.user + used.system) / (rounds * 3));
      }
    }
    for (const [kind, values] of Object.entries(perCall)) {
      const sorted = values.sort((a, b) => a - b);
      console.log(`${kind.padEnd(6)} ${Math.round(sorted[2] ?? 0)} µs/call (rounds: ${sorted.map((v) => Math.round(v)).join(' ')})`);
    }
  } finally {
    stub.kill();
  }
}

if (process.argv[2] === '--serve') serve();
else void main();
