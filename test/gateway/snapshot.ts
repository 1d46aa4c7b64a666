// A Durable instance as the gateway reads it (InstanceSnapshot), for the pure-logic tests that
// derive decisions and statuses from one. Plain data: no client, no storage.
import type { InstanceSnapshot } from '../../src/gateway/request-state.js';

export function snapshot(fields: Partial<InstanceSnapshot> = {}): InstanceSnapshot {
  return {
    id: 'req-1',
    runtimeStatus: 'Running',
    input: null,
    output: null,
    customStatus: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:01.000Z',
    ...fields,
  };
}
