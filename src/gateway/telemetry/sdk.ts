// The OpenTelemetry SDK as the gateway runs it, loaded (index.ts requires this file) only when an
// exporter is configured, so a gateway without telemetry never loads it. A tracer and a meter
// provider of the gateway's own, not registered as the process-wide globals: the app may share its
// process (the local host, a test) and be loaded more than once, and every span here is started
// with an explicit parent (spans.ts), so nothing depends on a global context manager.
//
// Exporting never sits on the request path: spans are batched (BatchSpanProcessor, honouring the
// OTEL_BSP_* variables) and metrics read on an interval, both exported in the background; an
// endpoint that is down costs a failed export, not a slower call. Shutdown is bounded, so an
// unreachable endpoint cannot hold up the host's exit.

import { ManagedIdentityCredential } from '@azure/identity';
import { AzureMonitorMetricExporter, AzureMonitorTraceExporter } from '@azure/monitor-opentelemetry-exporter';
import type { Tracer } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type GatewayInstruments, gatewayInstruments } from './instruments.js';
import type { AzureMonitorSettings, TelemetrySettings } from './settings.js';

export interface GatewaySdk {
  tracer: Tracer;
  instruments: GatewayInstruments;
  /** Exports what is pending and stops; resolves within SHUTDOWN_BOUND_MS whatever the endpoints do. */
  shutdown(): Promise<void>;
}

const INSTRUMENTATION_SCOPE = 'sync-over-async-gateway';
/** The most the app's exit waits for the last export. */
export const SHUTDOWN_BOUND_MS = 3_000;

function azureMonitorOptions(settings: AzureMonitorSettings) {
  const identity = settings.managedIdentity;
  if (identity === undefined) return { connectionString: settings.connectionString };
  const credential =
    identity.clientId === undefined ? new ManagedIdentityCredential() : new ManagedIdentityCredential({ clientId: identity.clientId });
  return { connectionString: settings.connectionString, credential };
}

export function startSdk(settings: TelemetrySettings): GatewaySdk {
  const resource = resourceFromAttributes({ 'service.name': settings.serviceName });
  const spanProcessors: SpanProcessor[] = [];
  const metricExporters: PushMetricExporter[] = [];
  // Both exporters read OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout) themselves.
  if (settings.otlp.traces) spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  if (settings.otlp.metrics) metricExporters.push(new OTLPMetricExporter());
  if (settings.azureMonitor !== undefined) {
    const options = azureMonitorOptions(settings.azureMonitor);
    try {
      spanProcessors.push(new BatchSpanProcessor(new AzureMonitorTraceExporter(options)));
      metricExporters.push(new AzureMonitorMetricExporter(options));
    } catch (error) {
      // The exporter refuses a connection string without a valid instrumentation key: say which setting.
      throw new Error(`APPLICATIONINSIGHTS_CONNECTION_STRING: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors });
  const meterProvider = new MeterProvider({
    resource,
    readers: metricExporters.map(
      (exporter) =>
        new PeriodicExportingMetricReader({
          exporter,
          exportIntervalMillis: settings.metricExportIntervalMs,
          exportTimeoutMillis: settings.metricExportTimeoutMs,
        }),
    ),
  });
  return {
    tracer: tracerProvider.getTracer(INSTRUMENTATION_SCOPE),
    instruments: gatewayInstruments(meterProvider.getMeter(INSTRUMENTATION_SCOPE)),
    async shutdown() {
      let bound: NodeJS.Timeout | undefined;
      const giveUp = new Promise<void>((resolve) => {
        bound = setTimeout(resolve, SHUTDOWN_BOUND_MS);
        bound.unref();
      });
      try {
        await Promise.race([Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]), giveUp]);
      } finally {
        clearTimeout(bound);
      }
    },
  };
}
