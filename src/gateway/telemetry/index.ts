// The gateway's telemetry switch: the SDK (sdk.ts) is started on first use when settings.ts finds
// an exporter configured, and not loaded at all otherwise, so a gateway without telemetry pays one
// environment read per process and a branch per hook. spans.ts is what the functions call.
import type { GatewaySdk } from './sdk.js';
import { telemetrySettings } from './settings.js';

// undefined: not decided yet; null: off (or shut down) for the rest of this load of the app.
let sdk: GatewaySdk | null | undefined;

/** The running SDK, or undefined when telemetry is off. */
export function activeTelemetry(): GatewaySdk | undefined {
  if (sdk === undefined) {
    const settings = telemetrySettings(process.env);
    // Required here rather than imported: the exporters and the SDK load only when asked for.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
    sdk = settings === undefined ? null : (require('./sdk.js') as typeof import('./sdk.js')).startSdk(settings);
  }
  return sdk ?? undefined;
}

/** Exports what is pending and stops (the app's appTerminate); bounded, so the host's exit is not held up. */
export async function shutdownTelemetry(): Promise<void> {
  const running = sdk;
  sdk = null;
  await running?.shutdown();
}
