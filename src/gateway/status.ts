// The caller's view of a request: a small vocabulary and a minimal resource, derived from the
// Durable status but never exposing it (its payload holds inputs, outputs and, through the
// check-status response, management URLs with keys: field note #2).
import { isGatewayCustomStatus, isGatewayRequest, isOrchestratorOutput } from './contract-guards.js';
import { TERMINATE_REASON_SYNC_EXPIRED } from './contract.js';
import { outcomeOfRuntime, type InstanceSnapshot } from './outcome.js';

export type CallerStatus = 'Pending' | 'AwaitingReply' | 'Completed' | 'Failed' | 'TimedOut' | 'Canceled';

export function callerStatus(snapshot: InstanceSnapshot): CallerStatus {
  const outcome = outcomeOfRuntime(snapshot.runtimeStatus, snapshot.output);
  switch (outcome.kind) {
    case 'running':
      // Running but not yet dispatched is still "Pending" for the caller: nothing was sent.
      return isGatewayCustomStatus(snapshot.customStatus) && snapshot.customStatus.stage === 'AwaitingReply'
        ? 'AwaitingReply'
        : 'Pending';
    case 'completed':
      if (!isOrchestratorOutput(outcome.output)) return 'Failed';
      return outcome.output.outcome === 'replied' ? 'Completed' : 'TimedOut';
    case 'terminated':
      return outcome.reason === TERMINATE_REASON_SYNC_EXPIRED ? 'TimedOut' : 'Canceled';
    case 'canceled':
      return 'Canceled';
    case 'failed':
      return 'Failed';
  }
}

export function isFinalStatus(status: CallerStatus): boolean {
  return status !== 'Pending' && status !== 'AwaitingReply';
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
  return {
    id: snapshot.id,
    operation: request?.operation ?? '',
    status: callerStatus(snapshot),
    // The submit call's clock, as in its 202 body, so both answers agree.
    createdAt: request?.createdAt ?? snapshot.createdAt,
    updatedAt: snapshot.updatedAt,
  };
}
