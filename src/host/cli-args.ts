// The local host's command line (`npm start`, dist/src/host/cli.js): flags, their defaults and usage text.
/** The `npm start` command line, parsed; errors name the flag. */
export interface CliArgs {
  appDir: string;
  /** --port or FUNCTIONS_PORT; unset → local.settings.json Host.LocalHttpPort, then 7071 (Core Tools' order). */
  port?: number;
  storage?: string;
  /** Start embedded emulators when settings don't point elsewhere (default true). */
  emulators: boolean;
  leaseMs?: number;
  dataDir?: string;
  blobPollMs?: number;
  /** Listen address (default 127.0.0.1); beyond loopback, keys are always enforced. */
  host?: string;
  requireKeys: boolean;
  /** The embedded Azurite's data folder and ports (default `<appDir>/.azurite`, 10000-10002). */
  azuriteDir?: string;
  azuritePorts?: { blob: number; queue: number; table: number };
  /** --azure-timing / --azure-timing-ms: Durable client operations applied after a delay, as on Azure Storage. */
  azureTiming?: { delayMs?: number };
  help: boolean;
}

export const USAGE = `Usage: node dist/src/host/cli.js [appDir] [options]

Runs an Azure Functions v4 Node app (and its Durable Functions) locally, with state in Azurite.

  appDir                 the app folder (package.json, host.json); default: current folder
  --port <n>             HTTP port (default: env FUNCTIONS_PORT, local.settings.json Host.LocalHttpPort, 7071; 0 = any free port)
  --storage <conn>       storage connection string (default: the app's AzureWebJobsStorage setting)
  --host <addr>          listen address (default 127.0.0.1; beyond loopback, keys are required)
  --require-keys         require function / master / system keys on loopback too (env FUNCTIONS_REQUIRE_KEYS=true)
  --no-emulators         never start embedded Azurite / Service Bus endpoint
  --azurite-dir <dir>    embedded Azurite's data folder (default <appDir>/.azurite)
  --azurite-ports <b,q,t> embedded Azurite's blob,queue,table ports (default 10000,10001,10002; 0 = free ports)
  --lease-ms <n>         how long a dead host's task hub stays locked before another takes it (default 30000)
  --data-dir <path>      the Durable commit log and checkpoints (default <appDir>/.durable/<hub>-<storage>)
  --blob-poll-ms <n>     blob trigger poll interval (default 1000)
  --azure-timing         Durable start/raise/terminate acknowledged at once and applied after host.json
                         maxQueuePollingInterval (default 30 s), racing starts both accepted, as on Azure Storage
  --azure-timing-ms <n>  the same, applied after n ms
  -h, --help             this text`;

/** Parses the command line; errors name the flag. */
export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CliArgs {
  const args: CliArgs = { appDir: process.cwd(), emulators: true, requireKeys: false, help: false };
  if (env.FUNCTIONS_PORT) args.port = numberOr(env.FUNCTIONS_PORT, 'FUNCTIONS_PORT');
  let positional = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value.`);
      return v;
    };
    switch (a) {
      case '--port':
        args.port = numberOr(value(), '--port');
        break;
      case '--storage':
        args.storage = value();
        break;
      case '--host':
        args.host = value();
        break;
      case '--require-keys':
        args.requireKeys = true;
        break;
      case '--no-emulators':
        args.emulators = false;
        break;
      case '--lease-ms':
        args.leaseMs = numberOr(value(), '--lease-ms');
        break;
      case '--data-dir':
        args.dataDir = value();
        break;
      case '--blob-poll-ms':
        args.blobPollMs = numberOr(value(), '--blob-poll-ms');
        break;
      case '--azure-timing':
        args.azureTiming ??= {};
        break;
      case '--azure-timing-ms':
        args.azureTiming = { delayMs: numberOr(value(), '--azure-timing-ms') };
        break;
      case '--azurite-dir':
        args.azuriteDir = value();
        break;
      case '--azurite-ports':
        args.azuritePorts = parsePorts(value());
        break;
      case '-h':
      case '--help':
        args.help = true;
        break;
      default:
        if (a.startsWith('-')) throw new Error(`Unknown option ${a}.\n\n${USAGE}`);
        if (positional++ > 0) throw new Error(`Only one app folder may be given (got "${a}" too).`);
        args.appDir = a;
    }
  }
  return args;
}

function parsePorts(text: string): CliArgs['azuritePorts'] {
  const ports = text.split(',').map((p) => numberOr(p.trim(), '--azurite-ports'));
  if (ports.length === 1 && ports[0] === 0) return { blob: 0, queue: 0, table: 0 };
  const [blob, queue, table] = ports;
  if (ports.length !== 3 || blob === undefined || queue === undefined || table === undefined)
    throw new Error('--azurite-ports takes blob,queue,table ports (or 0 for free ports).');
  return { blob, queue, table };
}

function numberOr(text: string | undefined, name: string, fallback?: number): number {
  if (text === undefined || text === '') {
    if (fallback === undefined) throw new Error(`${name} needs a number.`);
    return fallback;
  }
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number >= 0, got "${text}".`);
  return n;
}
