// An in-memory stand-in for durable-functions' DurableClient that keeps its real quirks: getStatus
// throws on 404, and raiseEvent/terminate resolve silently on a finished instance (HTTP 410). Only for the races
// a real stack cannot be made to produce on demand (test/e2e/ covers the rest for real).
import { type HttpRequest, HttpResponse } from '@azure/functions';
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

  /**
   * One look in the SDK helper's shapes (docs/field-notes.md#n1): 200 with the output, 200 with the
   * whole status when terminated or canceled, 500 with it when failed, 202 while running. It reads
   * through `this.getStatus`, as the SDK's does, so a view that overrides the read is honoured.
   */
  async waitForCompletionOrCreateCheckStatusResponse(_request: HttpRequest, instanceId: string): Promise<HttpResponse> {
    const status = await this.getStatus(instanceId);
    const answer = (code: number, body: unknown) => new HttpResponse({ status: code, jsonBody: body });
    switch (status.runtimeStatus as string) {
      case 'Completed':
        return answer(200, status.output);
      case 'Terminated':
      case 'Canceled':
        return answer(200, status);
      case 'Failed':
        return answer(500, status);
      default:
        return answer(202, { id: instanceId });
    }
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
