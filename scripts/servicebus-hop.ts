// Measures the Service Bus endpoint's hop on loopback with the unmodified SDK: one message at a
// time, send → the subscribed receiver has it, p50/p95 over a few hundred messages. The endpoint
// runs as its own process (`dist/scripts/servicebus-emulator.js`), memory-only or with `--data`.
//   node dist/scripts/servicebus-hop.js [--messages 300] [--data <dir>] [--receive-and-delete]

import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';

const { values } = parseArgs({
  options: { messages: { type: 'string' }, data: { type: 'string' }, 'receive-and-delete': { type: 'boolean' } },
});
// Peek-lock by default, as the gateway and its backends receive: each message is completed.
const receiveMode = values['receive-and-delete'] ? 'receiveAndDelete' : 'peekLock';
const count = Number(values.messages ?? 300);
const cli = path.join(__dirname, 'servicebus-emulator.js');
const args = [cli, '--port', '0', ...(values.data ? ['--data', values.data] : [])];

async function main(): Promise<void> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const connectionString = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /Connection string: (\S+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`endpoint exited with ${code}`)));
    });
    const client = new ServiceBusClient(connectionString);
    const sender = client.createSender('requests');
    const receiver = client.createReceiver('requests', 'backend', { receiveMode, maxAutoLockRenewalDurationInMs: 0 });
    let arrived: ((message: ServiceBusReceivedMessage) => void) | undefined;
    receiver.subscribe({
      processMessage: (message) => {
        arrived?.(message);
        return Promise.resolve();
      },
      processError: () => Promise.resolve(),
    });
    const hops: number[] = [];
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < count + 20; i++) {
      const received = new Promise<ServiceBusReceivedMessage>((resolve) => (arrived = resolve));
      const started = process.hrtime.bigint();
      await sender.sendMessages({ body: `hop ${i}` });
      await received;
      // The first messages warm up links and JIT; they are not counted.
      if (i >= 20) hops.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const cpu = process.cpuUsage(cpuBefore);
    hops.sort((a, b) => a - b);
    const at = (q: number): string => (hops[Math.min(hops.length - 1, Math.floor(q * hops.length))] ?? NaN).toFixed(2);
    console.log(
      `send → receive over ${count} messages (${receiveMode}, ${values.data ? 'journal on disk' : 'memory only'}): p50 ${at(0.5)} ms, p95 ${at(0.95)} ms; ` +
        `client CPU ${((cpu.user + cpu.system) / 1000 / count).toFixed(2)} ms/message; load average ${os
          .loadavg()
          .map((n) => n.toFixed(2))
          .join(' ')} on ${os.cpus().length} cores`,
    );
    await receiver.close();
    await client.close();
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
