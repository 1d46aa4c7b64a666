// The telemetry module without the host: strict traceparent parsing, which settings turn what on,
// the no-op when neither exporter is configured, and an SDK whose endpoint never answers still
// shutting down (so a host's exit is not held up by it).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayRequest, ReplyEnvelope } from '../../../src/gateway/contract.js';
import type { GatewayDurable } from '../../../src/gateway/durable-port.js';
import type { Submission } from '../../../src/gateway/submission.js';
import { activeTelemetry } from '../../../src/gateway/telemetry/index.js';
import { startSdk } from '../../../src/gateway/telemetry/sdk.js';
import { telemetrySettings } from '../../../src/gateway/telemetry/settings.js';
import { traceDispatch, traceReply, traceResult, withSubmitTrace } from '../../../src/gateway/telemetry/spans.js';
import { carriedTrace, formatTraceparent, parseTraceparent } from '../../../src/gateway/telemetry/traceparent.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

describe('traceparent', () => {
  it('takes the exact version-00 form and gives it back unchanged', () => {
    const value = `00-${TRACE}-${SPAN}-01`;
    expect(parseTraceparent(value)).toEqual({ traceId: TRACE, spanId: SPAN, flags: 1 });
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, flags: 1 })).toBe(value);
  });

  it.each([
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['an all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['another version', `01-${TRACE}-${SPAN}-01`],
    ['the invalid version ff', `ff-${TRACE}-${SPAN}-01`],
    ['a field after the flags', `00-${TRACE}-${SPAN}-01-extra`],
    ['a short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['surrounding blanks', ` 00-${TRACE}-${SPAN}-01`],
    ['a non-hex flag', `00-${TRACE}-${SPAN}-0g`],
    ['a number', 42],
  ])('refuses %s', (_what, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('says whether a carrier had one, and a malformed one is ignored rather than passed over', () => {
    expect(carriedTrace(undefined, '')).toEqual({ state: 'absent' });
    expect(carriedTrace('garbage', `00-${TRACE}-${SPAN}-01`)).toEqual({ state: 'ignored' });
    expect(carriedTrace(undefined, `00-${TRACE}-${SPAN}-00`)).toEqual({
      state: 'valid',
      parent: { traceId: TRACE, spanId: SPAN, flags: 0 },
    });
  });
});

describe('settings', () => {
  it('neither exporter configured, or the SDK disabled: off', () => {
    expect(telemetrySettings({})).toBeUndefined();
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBeUndefined();
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
  });

  it('OTLP: both signals with the base endpoint, one with a per-signal endpoint; the export interval from the standard variable', () => {
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_METRIC_EXPORT_INTERVAL: '250' })).toMatchObject({
      otlp: { traces: true, metrics: true },
      azureMonitor: undefined,
      metricExportIntervalMs: 250,
      metricExportTimeoutMs: 250,
    });
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })?.otlp).toEqual({
      traces: true,
      metrics: false,
    });
  });

  it('Application Insights: with a managed identity when the authentication string says AAD', () => {
    const connectionString = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://example.invalid/';
    expect(telemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString })?.azureMonitor).toEqual({ connectionString });
    expect(
      telemetrySettings({
        APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=abc-123;Authorization=AAD',
      })?.azureMonitor,
    ).toEqual({ connectionString, managedIdentity: { clientId: 'abc-123' } });
    expect(
      telemetrySettings({
        APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD',
      })?.azureMonitor,
    ).toEqual({ connectionString, managedIdentity: {} });
  });
});

const EXPORTER_SETTINGS = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
];

describe('with neither OTEL_EXPORTER_OTLP_ENDPOINT nor APPLICATIONINSIGHTS_CONNECTION_STRING', () => {
  const saved = new Map<string, string | undefined>();
  beforeAll(() => {
    for (const name of EXPORTER_SETTINGS) {
      saved.set(name, process.env[name]);
      delete process.env[name];
    }
  });
  afterAll(() => {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  });

  const request = { id: 'req-1', operation: 'op', waitMode: 'sync' } as GatewayRequest;
  const invocation = {} as InvocationContext;

  it('telemetry is off and every hook passes the very same objects through, adding no trace context', async () => {
    expect(activeTelemetry()).toBeUndefined();

    const submission = { request, plan: {}, idempotent: false } as unknown as Submission;
    const http = { method: 'POST', headers: new Headers({ traceparent: `00-${TRACE}-${SPAN}-01` }) } as unknown as HttpRequest;
    const response = { status: 200 };
    const handler = withSubmitTrace(async (_request, _client, _context, _scope, trace) => {
      expect(trace.started(submission)).toBe(submission);
      expect(await trace.waiting(() => Promise.resolve('waited'))).toBe('waited');
      return trace.answer('req-1', {} as ReplyEnvelope, () => Promise.resolve(response));
    });
    const answered = await handler(http, {} as never, invocation, {});
    expect(answered).toBe(response);

    const sent: GatewayRequest[] = [];
    await traceDispatch(request, 'blob', invocation, (outgoing) => Promise.resolve(void sent.push(outgoing)));
    expect(sent).toEqual([request]);
    expect(sent[0]).toBe(request);

    const durable = { inspect: () => Promise.resolve(undefined) } as unknown as GatewayDurable;
    const outcome = { result: 'gone' } as const;
    expect(
      await traceReply({ channel: 'blob', invocation, traceparent: undefined }, durable, (given) =>
        Promise.resolve(given === durable ? outcome : { result: 'gone' as const }),
      ),
    ).toBe(outcome);
    expect(await traceResult({ id: 'req-1' } as never, {} as ReplyEnvelope, invocation, () => Promise.resolve(response))).toBe(response);
    expect(activeTelemetry()).toBeUndefined();
  });
});

describe('Application Insights', () => {
  it('a connection string without a valid instrumentation key stops the start, naming the setting', () => {
    const settings = telemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: 'IngestionEndpoint=http://127.0.0.1:9/' });
    expect(settings?.azureMonitor).toBeDefined();
    if (settings === undefined) return;
    expect(() => startSdk(settings)).toThrow(/^APPLICATIONINSIGHTS_CONNECTION_STRING: .*instrumentation key/);
  });
});

describe('an OTLP endpoint that never answers', () => {
  let server: http.Server;
  let received = 0;
  const saved = new Map<string, string | undefined>();
  beforeAll(async () => {
    // Accepts every export and never answers it.
    server = http.createServer(() => {
      received += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const settings = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      // Longer than the test's own timeout: only the SDK's bounded shutdown lets the test end.
      OTEL_EXPORTER_OTLP_TIMEOUT: '120000',
    };
    for (const [name, value] of Object.entries(settings)) {
      saved.set(name, process.env[name]);
      process.env[name] = value;
    }
  });
  afterAll(async () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('spans and measurements are recorded without waiting on it, and shutdown still ends', async () => {
    const settings = telemetrySettings(process.env);
    expect(settings?.otlp).toEqual({ traces: true, metrics: true });
    if (settings === undefined) return;
    const sdk = startSdk(settings);
    // Synchronous calls: nothing on the recording path can wait for the network.
    const span = sdk.tracer.startSpan('gateway.submit');
    expect(span.end()).toBeUndefined();
    expect(sdk.instruments.requests.add(1, { 'gateway.mode': 'sync', 'gateway.outcome': 'answered' })).toBeUndefined();
    await sdk.shutdown();
    // The exports were attempted (the endpoint was really used), and are still unanswered.
    expect(received).toBeGreaterThan(0);
  });
});
