// Starts the local Service Bus endpoint: `node dist/scripts/servicebus-emulator.js --port 5672
// --config Config.json`. Ctrl+C (SIGINT) or SIGTERM closes it cleanly.
import { cliUsage, runServiceBusEmulatorCli } from '../src/emulators/servicebus/cli.js';

runServiceBusEmulatorCli(process.argv.slice(2), { print: (line) => console.log(line), signals: process }).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  console.error(cliUsage);
  process.exitCode = 1;
});
