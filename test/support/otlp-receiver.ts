// A real OTLP/HTTP receiver for the telemetry tests: node:http on 127.0.0.1:0 taking what the
// SDK's OTLP/HTTP exporters send (JSON, the encoding @opentelemetry/exporter-*-otlp-http use) on
// /v1/traces and /v1/metrics, decoded into plain spans and metric points to assert on.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { eventually } from './stack.js';

export type AttributeValue = string | number | boolean | undefined;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, AttributeValue>;
  links: { traceId: string; spanId: string }[];
  statusCode: number;
}

export interface ReceivedPoint {
  metric: string;
  attributes: Record<string, AttributeValue>;
  /** Sum and gauge points: the value; histogram points: the count. */
  value: number;
  /** Histogram points only. */
  sum?: number;
  /** Which export it came in (1, 2, …), so the latest cumulative value can be picked. */
  export: number;
}

interface OtlpKeyValue {
  key: string;
  value?: { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean };
}

function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) {
    const intValue = value?.intValue;
    out[key] = value?.stringValue ?? (intValue === undefined ? undefined : Number(intValue)) ?? value?.doubleValue ?? value?.boolValue;
  }
  return out;
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpKeyValue[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number };
}

interface OtlpPoint {
  attributes?: OtlpKeyValue[];
  asInt?: number | string;
  asDouble?: number;
  count?: number | string;
  sum?: number;
}

interface OtlpMetric {
  name: string;
  sum?: { dataPoints?: OtlpPoint[] };
  gauge?: { dataPoints?: OtlpPoint[] };
  histogram?: { dataPoints?: OtlpPoint[] };
}

export interface OtlpReceiver {
  /** The base URL to give as OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  spans: ReceivedSpan[];
  points: ReceivedPoint[];
  /** Bodies that were not OTLP JSON (content type and path), to fail on. */
  refused: string[];
  stop(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const points: ReceivedPoint[] = [];
  const refused: string[] = [];
  let exports = 0;
  const take = (path: string, body: unknown) => {
    if (path === '/v1/traces') {
      const resourceSpans = (body as { resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[] }).resourceSpans ?? [];
      for (const span of resourceSpans.flatMap((r) => r.scopeSpans ?? []).flatMap((s) => s.spans ?? [])) {
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          name: span.name,
          kind: span.kind,
          attributes: attributesOf(span.attributes),
          links: (span.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
          statusCode: span.status?.code ?? 0,
        });
      }
      return;
    }
    exports += 1;
    const resourceMetrics = (body as { resourceMetrics?: { scopeMetrics?: { metrics?: OtlpMetric[] }[] }[] }).resourceMetrics ?? [];
    for (const metric of resourceMetrics.flatMap((r) => r.scopeMetrics ?? []).flatMap((s) => s.metrics ?? [])) {
      for (const point of metric.sum?.dataPoints ?? metric.gauge?.dataPoints ?? []) {
        points.push({
          metric: metric.name,
          attributes: attributesOf(point.attributes),
          value: Number(point.asInt ?? point.asDouble),
          export: exports,
        });
      }
      for (const point of metric.histogram?.dataPoints ?? []) {
        points.push({
          metric: metric.name,
          attributes: attributesOf(point.attributes),
          value: Number(point.count),
          ...(point.sum === undefined ? {} : { sum: point.sum }),
          export: exports,
        });
      }
    }
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const type = req.headers['content-type'] ?? '';
      if (req.method !== 'POST' || !type.startsWith('application/json') || (path !== '/v1/traces' && path !== '/v1/metrics')) {
        refused.push(`${req.method} ${path} (${type})`);
        res.writeHead(400).end();
        return;
      }
      take(path, JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    points,
    refused,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The latest exported value of `metric` for the points whose attributes include `attributes` (cumulative export). */
export function latestValue(points: ReceivedPoint[], metric: string, attributes: Record<string, AttributeValue>): number | undefined {
  const matching = points.filter((p) => p.metric === metric && Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));
  const last = Math.max(...matching.map((p) => p.export));
  const latest = matching.filter((p) => p.export === last);
  return latest.length === 0 ? undefined : latest.reduce((total, p) => total + p.value, 0);
}

/** The spans naming request `id` (attribute gateway.request_id) once all of `names` have arrived, by name. */
export function spansOf(receiver: OtlpReceiver, id: string, names: string[]): Promise<Map<string, ReceivedSpan>> {
  return eventually(
    () => {
      const byName = new Map(receiver.spans.filter((s) => s.attributes['gateway.request_id'] === id).map((s) => [s.name, s]));
      return names.every((n) => byName.has(n)) ? byName : undefined;
    },
    15_000,
    `spans ${names.join(', ')} of request ${id}`,
  );
}

/** The ids of a sampled version-00 traceparent (asserted to be one). */
export function traceparentParts(value: unknown): { traceId: string; spanId: string } {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(typeof value === 'string' ? value : '');
  expect(match, `a sampled version-00 traceparent, got ${String(value)}`).not.toBeNull();
  return { traceId: match?.[1] ?? '', spanId: match?.[2] ?? '' };
}
