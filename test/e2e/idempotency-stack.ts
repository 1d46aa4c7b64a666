// The stacks the Idempotency-Key tests run on, in one place (vitest's azure-timing project runs
// idempotency.test.ts again with the host's Azure timing, through test/support/azure-timing.ts).
// Also counts the Durable starts the host's management API received, through Node's own `http.server.request.start` diagnostics channel (the host is unchanged), so a
// test can show that only one submit ever started a request, whatever a second start would do.
import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ORCHESTRATOR_NAME } from '../../src/gateway/contract.js';
import { type GatewayStack, type GatewayStackOptions, startGatewayStack } from '../support/gateway-stack.js';
import { type ServiceBusStack, startServiceBusStack } from '../support/servicebus-stack.js';

/** App settings both idempotency test files run with (on top of the stacks' own test settings). */
export const IDEMPOTENCY_SETTINGS: Readonly<Record<string, string>> = {
  GATEWAY_SYNC_WAIT_SECONDS: '30',
  GATEWAY_MAX_SYNC_WAIT_SECONDS: '60',
};

export function startIdempotencyStack(options: GatewayStackOptions = {}): Promise<GatewayStack> {
  return startGatewayStack({ ...options, settings: { ...IDEMPOTENCY_SETTINGS, ...options.settings } });
}

export function startIdempotencyServiceBusStack(): Promise<ServiceBusStack> {
  return startServiceBusStack({ ...IDEMPOTENCY_SETTINGS });
}

const START = new RegExp(`^/runtime/webhooks/durabletask/orchestrators/${ORCHESTRATOR_NAME}/([^/?]+)`);
const READ_WITH_INPUT = /^\/runtime\/webhooks\/durabletask\/instances\/([^/?]+)\?(?:.*&)?showInput=true/;

/** Durable calls one host received, by instance id: starts, and status reads with the input. */
export interface ManagementCalls {
  starts(id: string): number;
  readsWithInput(id: string): number;
  stop(): void;
}

export function countManagementCalls(port: () => number | undefined): ManagementCalls {
  const starts = new Map<string, number>();
  const reads = new Map<string, number>();
  const bump = (map: Map<string, number>, id: string | undefined) => id !== undefined && map.set(id, (map.get(id) ?? 0) + 1);
  const listener = (message: unknown) => {
    const { request, server } = message as { request: IncomingMessage; server: Server };
    if ((server.address() as AddressInfo | null)?.port !== port()) return;
    const url = request.url ?? '';
    if (request.method === 'POST') bump(starts, START.exec(url)?.[1]);
    if (request.method === 'GET') bump(reads, READ_WITH_INPUT.exec(url)?.[1]);
  };
  diagnostics.subscribe('http.server.request.start', listener);
  return {
    starts: (id) => starts.get(id) ?? 0,
    readsWithInput: (id) => reads.get(id) ?? 0,
    stop: () => diagnostics.unsubscribe('http.server.request.start', listener),
  };
}
