// The caller's view of a request: a small vocabulary and a minimal resource, derived from the
// classified state but never exposing the Durable status (its payload holds inputs, outputs and,
// through the check-status response, management URLs with keys: docs/field-notes.md#n2).
import { isGatewayRequest } from './contract-guards.js';
import { classifyRequest, type InstanceSnapshot, type RequestState } from './request-state.js';

export type CallerStatus = 'Pending' | 'AwaitingReply' | 'Suspended' | 'Completed' | 'Failed' | 'TimedOut' | 'Canceled';

export function callerStatus(state: RequestState): CallerStatus {
  switch (state.kind) {
    case 'pending':
      // Running but not yet dispatched is still "Pending" for the caller: nothing was sent.
      return 'Pending';
    case 'awaitingReply':
      return 'AwaitingReply';
    case 'suspended':
      // Held by an operator: not final, but nothing moves until it is resumed.
      return 'Suspended';
    case 'answered':
      return 'Completed';
    case 'timedOut':
      return 'TimedOut';
    case 'canceled':
      return 'Canceled';
    case 'failed':
      return 'Failed';
  }
}

export function isFinalStatus(status: CallerStatus): boolean {
  return status !== 'Pending' && status !== 'AwaitingReply' && status !== 'Suspended';
}

export interface StatusResource {
  id: string;
  operation: string;
  status: CallerStatus;
  createdAt: string;
  updatedAt: string;
}

export function statusResource(snapshot: InstanceSnapshot): StatusResource {
  const request = isGatewayRequest(snapshot.input) ? snapshot.input : undefined;
  // The submit call's clock, as in its 202 body, so both answers agree.
  const createdAt = request?.createdAt ?? snapshot.createdAt;
  return {
    id: snapshot.id,
    operation: request?.operation ?? '',
    status: callerStatus(classifyRequest(snapshot)),
    createdAt,
    // On Azure the instance's times come in whole seconds, truncated, so an update in the submit's
    // second reads as earlier than the submit: a resource is never updated before it was created.
    updatedAt: Date.parse(snapshot.updatedAt) < Date.parse(createdAt) ? createdAt : snapshot.updatedAt,
  };
}
