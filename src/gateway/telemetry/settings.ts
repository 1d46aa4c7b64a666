// Which exporters the gateway's telemetry uses, from the standard environment variables only (the
// OpenTelemetry SDK's and Application Insights' own names, so an operator sets what they already
// know): OTLP when OTEL_EXPORTER_OTLP_ENDPOINT (or a per-signal endpoint) is set, Azure Monitor when
// APPLICATIONINSIGHTS_CONNECTION_STRING is, both when both are, and none (telemetry off, no SDK
// loaded) when neither is or OTEL_SDK_DISABLED=true.

export interface AzureMonitorSettings {
  connectionString: string;
  /**
   * From APPLICATIONINSIGHTS_AUTHENTICATION_STRING `Authorization=AAD[;ClientId=…]`: ingestion with
   * a managed identity (the resource has local authentication off); absent: the connection
   * string's key.
   */
  managedIdentity?: { clientId?: string };
}

export interface TelemetrySettings {
  /** Spans to `<endpoint>/v1/traces`, metrics to `<endpoint>/v1/metrics` (OTLP/HTTP, JSON). */
  otlp: { traces: boolean; metrics: boolean };
  azureMonitor: AzureMonitorSettings | undefined;
  serviceName: string;
  /** OTEL_METRIC_EXPORT_INTERVAL / OTEL_METRIC_EXPORT_TIMEOUT (ms), the spec's defaults otherwise. */
  metricExportIntervalMs: number;
  metricExportTimeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_SERVICE_NAME = 'sync-over-async-gateway';

function setting(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function milliseconds(env: Env, name: string, fallback: number): number {
  const value = Number(setting(env, name));
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** `Authorization=AAD;ClientId=…` → managed identity (user-assigned when a client id is given). */
function managedIdentityOf(authentication: string | undefined): AzureMonitorSettings['managedIdentity'] {
  if (authentication === undefined) return undefined;
  const parts = new Map(
    authentication.split(';').flatMap((part) => {
      const at = part.indexOf('=');
      return at < 0 ? [] : [[part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim()] as const];
    }),
  );
  if (parts.get('authorization')?.toLowerCase() !== 'aad') return undefined;
  const clientId = parts.get('clientid');
  return clientId ? { clientId } : {};
}

/** undefined: telemetry is off. */
export function telemetrySettings(env: Env): TelemetrySettings | undefined {
  if (setting(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  const endpoint = setting(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const otlp = {
    traces: endpoint !== undefined || setting(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined,
    metrics: endpoint !== undefined || setting(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT') !== undefined,
  };
  const connectionString = setting(env, 'APPLICATIONINSIGHTS_CONNECTION_STRING');
  if (!otlp.traces && !otlp.metrics && connectionString === undefined) return undefined;
  const metricExportIntervalMs = milliseconds(env, 'OTEL_METRIC_EXPORT_INTERVAL', 60_000);
  const managedIdentity = managedIdentityOf(setting(env, 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'));
  return {
    otlp,
    azureMonitor: connectionString === undefined ? undefined : { connectionString, ...(managedIdentity ? { managedIdentity } : {}) },
    // On Azure the app's name tells one gateway's telemetry from another's in a shared backend.
    serviceName: setting(env, 'OTEL_SERVICE_NAME') ?? setting(env, 'WEBSITE_SITE_NAME') ?? DEFAULT_SERVICE_NAME,
    metricExportIntervalMs,
    // The reader refuses a timeout longer than its interval.
    metricExportTimeoutMs: Math.min(milliseconds(env, 'OTEL_METRIC_EXPORT_TIMEOUT', 30_000), metricExportIntervalMs),
  };
}
