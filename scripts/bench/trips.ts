// Storage round trips per request: a pass-through HTTP proxy in front of Azurite's three
// services counts what the host sends, by service, method and resource (names of instances,
// messages and blobs folded), so the table says how many writes and reads one request costs.
// Used only in the `trips` phase: the extra hop would skew the latency figures.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { developmentConnectionString } from '../../src/host/storage/connection.js';

const SERVICES = ['blob', 'queue', 'table'] as const;
type Service = (typeof SERVICES)[number];

export class TripCounter {
  private counts = new Map<string, number>();
  private readonly servers: http.Server[] = [];
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  snapshot(): Map<string, number> {
    return new Map(this.counts);
  }

  /** Starts one proxy per service in front of Azurite (ports read from its connection string). */
  async start(azurite: string): Promise<string> {
    const ports = {} as Record<Service, number>;
    for (const service of SERVICES) {
      const m = new RegExp(`${service}Endpoint=http://127\\.0\\.0\\.1:(\\d+)`, 'i').exec(azurite);
      if (!m?.[1]) throw new Error(`no ${service} endpoint in Azurite's connection string`);
      ports[service] = await this.proxy(service, Number(m[1]));
    }
    return developmentConnectionString(ports);
  }

  private async proxy(service: Service, target: number): Promise<number> {
    const server = http.createServer((req, res) => {
      const key = `${service} ${req.method ?? '?'} ${resourceOf(service, req.url ?? '')}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      const upstream = http.request(
        { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers, agent: this.agent },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', (e) => res.destroy(e));
      req.pipe(upstream);
    });
    this.servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    await Promise.all(
      this.servers.splice(0).map((s) => {
        s.closeAllConnections();
        return new Promise<void>((resolve) => s.close(() => resolve()));
      }),
    );
  }
}

/** `/devstoreaccount1/Hub(PartitionKey='x',RowKey='y')?...` → `Hub(key)`; ids and blob names folded. */
export function resourceOf(service: Service, url: string): string {
  const [rawPath = '', query = ''] = url.split('?');
  const parts = decodeURIComponent(rawPath).split('/').filter(Boolean).slice(1);
  const list = /comp=list/.test(query) ? ' (list)' : '';
  if (service === 'table') return (parts[0] ?? '').replace(/\(.+\)$/, '(key)').replace(/^Tables\('.+'\)$/, 'Tables(name)') || '/';
  if (service === 'queue') return [parts[0], parts[1], parts[2] === undefined ? undefined : '{id}'].filter(Boolean).join('/') + list;
  return (parts[0] ?? '') + (parts.length > 1 ? '/{blob}' : '') + list;
}

/** Counts between two snapshots, per request, less the idle pollers' rate over the same time. */
export function perRequest(
  before: Map<string, number>,
  after: Map<string, number>,
  idle: Map<string, number>,
  idleMs: number,
  runMs: number,
  requests: number,
): Array<{ op: string; perRequest: number }> {
  const rows: Array<{ op: string; perRequest: number }> = [];
  for (const [op, count] of after) {
    const idleShare = ((idle.get(op) ?? 0) / idleMs) * runMs;
    const value = (count - (before.get(op) ?? 0) - idleShare) / requests;
    if (value >= 0.05) rows.push({ op, perRequest: Math.round(value * 10) / 10 });
  }
  return rows.sort((a, b) => b.perRequest - a.perRequest);
}

/** Counts that grew between two snapshots. */
export function delta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([op, count]) => [op, count - (before.get(op) ?? 0)]));
}
