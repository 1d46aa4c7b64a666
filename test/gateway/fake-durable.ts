// An in-memory stand-in for durable-functions' DurableClient that keeps its real quirks: getStatus
// throws on 404, and raiseEvent/terminate resolve silently on a finished instance (HTTP 410). Only for the races
// a real stack cannot be made to produce on demand (test/e2e/ covers the rest for real).
import type { DurableClient, DurableOrchestrationStatus, StartNewOptions } from 'durable-functions';
import type { DurableClientLike } from '../../src/gateway/durable-port.js';

export interface FakeInstance {
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
}

const FINAL = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

export class FakeDurableClient implements DurableClientLike {
  readonly instances = new Map<string, FakeInstance>();
  readonly raised: Array<{ id: string; name: string; data: unknown }> = [];
  readonly terminated: Array<{ id: string; reason: string }> = [];
  /** Runs after an event reached a running instance: lets a test play the orchestrator. */
  afterRaise?: (id: string, data: unknown) => void;

  set(id: string, instance: Partial<FakeInstance>): void {
    this.instances.set(id, { runtimeStatus: 'Running', input: null, output: null, customStatus: null, ...instance });
  }

  getStatus(instanceId: string): Promise<DurableOrchestrationStatus> {
    const found = this.instances.get(instanceId);
    if (found === undefined) {
      return Promise.reject(new Error(`DurableClient error: Durable Functions extension replied with HTTP 404 response. ${instanceId}`));
    }
    return Promise.resolve({
      name: 'gatewayOrchestrator',
      instanceId,
      createdTime: new Date('2025-01-01T00:00:00Z'),
      lastUpdatedTime: new Date('2025-01-01T00:00:01Z'),
      ...found,
    } as unknown as DurableOrchestrationStatus);
  }

  startNew(_name: string, options?: StartNewOptions): Promise<string> {
    const id = options?.instanceId ?? 'generated';
    this.set(id, { runtimeStatus: 'Pending', input: options?.input });
    return Promise.resolve(id);
  }

  raiseEvent(instanceId: string, eventName: string, eventData: unknown): Promise<void> {
    const found = this.instances.get(instanceId);
    if (found === undefined) return Promise.reject(new Error(`No instance with ID '${instanceId}' found.`));
    if (!FINAL.has(found.runtimeStatus)) {
      this.raised.push({ id: instanceId, name: eventName, data: eventData });
      this.afterRaise?.(instanceId, eventData);
    }
    return Promise.resolve(); // 410 for a finished instance: swallowed, as the real client does
  }

  terminate(instanceId: string, reason: string): Promise<void> {
    const found = this.instances.get(instanceId);
    if (found === undefined) return Promise.reject(new Error(`No instance with ID '${instanceId}' found.`));
    if (!FINAL.has(found.runtimeStatus)) {
      this.terminated.push({ id: instanceId, reason });
      this.set(instanceId, { ...found, runtimeStatus: 'Terminated', output: reason });
    }
    return Promise.resolve();
  }

  asClient(): DurableClient {
    return this as unknown as DurableClient;
  }
}
