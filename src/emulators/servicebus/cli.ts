// The endpoint's command line: options, then serve until SIGINT / SIGTERM.
import type { EventEmitter } from 'node:events';
import { parseArgs } from 'node:util';
import { defaultEmulatorPort, maxMessageSizeInBytes, startServiceBusEmulator } from './index.js';

export const cliUsage = `Usage: servicebus-emulator [--port <n>] [--host <address>] [--config <Config.json>] [--data <dir>] [--max-message-size <bytes>]

A local Service Bus endpoint for @azure/service-bus (AMQP).
  --port              TCP port, default ${defaultEmulatorPort}; 0 picks a free one
  --host              address to listen on, default 127.0.0.1
  --config            official-emulator Config.json with the queues and topics;
                      default: topics requests (subscription backend) and replies (subscription gateway)
  --data              folder for the journal that keeps messages across restarts; default: memory only
  --max-message-size  largest message or batch in bytes, default ${maxMessageSizeInBytes} (Standard tier)`;

export interface CliOptions {
  readonly port?: number;
  readonly host?: string;
  readonly config?: string;
  readonly data?: string;
  readonly maxMessageSize?: number;
  readonly help: boolean;
}

export function parseCliArguments(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      config: { type: 'string' },
      data: { type: 'string' },
      'max-message-size': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    throw new Error(`--port: expected 0-65535, got '${values.port}'`);
  }
  const maxText = values['max-message-size'];
  const maxMessageSize = maxText === undefined ? undefined : Number(maxText);
  if (maxMessageSize !== undefined && !(Number.isInteger(maxMessageSize) && maxMessageSize > 0)) {
    throw new Error(`--max-message-size: expected a positive number of bytes, got '${maxText}'`);
  }
  const parsed: CliOptions = { port, host: values.host, config: values.config, help: values.help ?? false };
  return {
    ...parsed,
    ...(values.data === undefined ? {} : { data: values.data }),
    ...(maxMessageSize === undefined ? {} : { maxMessageSize }),
  };
}

export interface CliIo {
  readonly print: (line: string) => void;
  /** Where SIGINT / SIGTERM arrive; the process itself outside tests. */
  readonly signals: Pick<EventEmitter, 'once' | 'removeListener'>;
}

/** Runs until SIGINT or SIGTERM, then closes every connection and the listener. */
export async function runServiceBusEmulatorCli(argv: readonly string[], io: CliIo): Promise<void> {
  const options = parseCliArguments(argv);
  if (options.help) return io.print(cliUsage);
  const emulator = await startServiceBusEmulator({
    port: options.port,
    host: options.host,
    topology: options.config,
    dataDir: options.data,
    maxMessageSizeInBytes: options.maxMessageSize,
    log: io.print,
  });
  io.print(`Connection string: ${emulator.connectionString}`);
  const signal = await new Promise<string>((resolve) => {
    const onSignal = (name: string): void => {
      io.signals.removeListener('SIGINT', onSignal);
      io.signals.removeListener('SIGTERM', onSignal);
      resolve(name);
    };
    io.signals.once('SIGINT', onSignal);
    io.signals.once('SIGTERM', onSignal);
  });
  io.print(`${signal}: stopping`);
  await emulator.stop();
}
