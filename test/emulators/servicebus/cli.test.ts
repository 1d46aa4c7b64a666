import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import { ServiceBusClient } from '@azure/service-bus';
import { describe, expect, it } from 'vitest';
import { parseCliArguments, runServiceBusEmulatorCli } from '../../../src/emulators/servicebus/cli.js';
import { emulatorConnectionString } from '../../../src/emulators/servicebus/index.js';

describe('connection string', () => {
  it('is the official emulator documented string on port 5672', () => {
    expect(emulatorConnectionString('127.0.0.1', 5672)).toBe(
      'Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;',
    );
  });

  it('names the port when it is not 5672', () => {
    expect(emulatorConnectionString('127.0.0.1', 40_123)).toMatch(/^Endpoint=sb:\/\/127\.0\.0\.1:40123;.*UseDevelopmentEmulator=true;$/);
    expect(emulatorConnectionString('10.0.0.5', 5673)).toMatch(/^Endpoint=sb:\/\/10\.0\.0\.5:5673;/);
  });
});

describe('servicebus-emulator CLI', () => {
  it('reads --port, --host and --config, and refuses a bad port', () => {
    expect(parseCliArguments(['--port', '0', '--host', '0.0.0.0', '--config', 'Config.json'])).toEqual({
      port: 0,
      host: '0.0.0.0',
      config: 'Config.json',
      help: false,
    });
    expect(parseCliArguments([])).toEqual({ help: false });
    expect(() => parseCliArguments(['--port', 'http'])).toThrow("--port: expected 0-65535, got 'http'");
    expect(() => parseCliArguments(['--verbose'])).toThrow(/verbose/);
    expect(parseCliArguments(['--data', '.servicebus', '--max-message-size', '1048576'])).toEqual({
      data: '.servicebus',
      maxMessageSize: 1_048_576,
      help: false,
    });
    expect(() => parseCliArguments(['--max-message-size', '256KB'])).toThrow(
      "--max-message-size: expected a positive number of bytes, got '256KB'",
    );
  });

  it('serves until SIGTERM, then closes client connections and the listener', async () => {
    const signals = new EventEmitter();
    const lines: string[] = [];
    const running = runServiceBusEmulatorCli(['--port', '0'], { print: (line) => lines.push(line), signals });
    await expect.poll(() => lines.find((line) => line.startsWith('Connection string: '))).toBeTruthy();
    const connectionString = (lines.find((line) => line.startsWith('Connection string: ')) ?? '').slice('Connection string: '.length);

    const client = new ServiceBusClient(connectionString);
    await client.createSender('requests').sendMessages({ body: 'via the CLI' });
    const [message] = await client.createReceiver('requests', 'backend', { receiveMode: 'receiveAndDelete' }).receiveMessages(1);
    expect(message?.body).toBe('via the CLI');
    await client.close();

    signals.emit('SIGTERM', 'SIGTERM');
    await running;
    expect(lines).toContain('SIGTERM: stopping');
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
    const port = Number(/:(\d+);/.exec(connectionString)?.[1]);
    await expect(tcpConnect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

function tcpConnect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}
