// The one reading of a request's state. Every caller-facing answer (the HTTP outcome, the status
// resource, what happens to an incoming reply) is a small map over `classifyRequest`, so the
// orchestrator's output shape and the terminate reasons are interpreted here and nowhere else.
import { type ReplyEnvelope, TERMINATE_REASON_SYNC_EXPIRED } from './contract.js';
import { isGatewayCustomStatus, isReplyEnvelope } from './contract-guards.js';

/** The part of a Durable status the gateway reads; built by the DurableClient adapter. */
export interface InstanceSnapshot {
  id: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdAt: string;
  updatedAt: string;
}

export type RequestState =
  /** Started, nothing sent to the backend yet (or the stage is not known). */
  | { kind: 'pending' }
  | { kind: 'awaitingReply' }
  /** Held by an operator; `dispatched` tells which of the two stages above it was held in. */
  | { kind: 'suspended'; dispatched: boolean }
  | { kind: 'answered'; reply: ReplyEnvelope }
  /** `deadline`: the orchestrator's timer won; `syncWait`: the sync caller's wait ran out. */
  | { kind: 'timedOut'; by: 'deadline' | 'syncWait' }
  /** Terminated for any other reason (a caller's DELETE, an operator) or canceled by the runtime. */
  | { kind: 'canceled'; reason: string }
  /** `noResult`: completed with an output the gateway did not write. */
  | { kind: 'failed'; noResult: boolean };

export type FinalState = Extract<RequestState, { kind: 'answered' | 'timedOut' | 'canceled' | 'failed' }>;

// Only the gateway's orchestrator writes the output, but it crossed a JSON boundary: checked here.
function completedState(output: unknown): RequestState {
  if (typeof output === 'object' && output !== null) {
    const fields = output as Record<string, unknown>;
    if (fields.outcome === 'timedOut') return { kind: 'timedOut', by: 'deadline' };
    if (fields.outcome === 'replied' && isReplyEnvelope(fields.reply)) return { kind: 'answered', reply: fields.reply };
  }
  return { kind: 'failed', noResult: true };
}

export function classifyRequest(snapshot: Pick<InstanceSnapshot, 'runtimeStatus' | 'output' | 'customStatus'>): RequestState {
  const dispatched = isGatewayCustomStatus(snapshot.customStatus) && snapshot.customStatus.stage === 'AwaitingReply';
  switch (snapshot.runtimeStatus) {
    case 'Completed':
      return completedState(snapshot.output);
    case 'Terminated': {
      // A terminate leaves only its reason, stored as the output; only the submit call's own
      // expiry uses this one.
      const reason = typeof snapshot.output === 'string' ? snapshot.output : '';
      return reason === TERMINATE_REASON_SYNC_EXPIRED ? { kind: 'timedOut', by: 'syncWait' } : { kind: 'canceled', reason };
    }
    case 'Canceled':
      return { kind: 'canceled', reason: '' };
    case 'Failed':
      return { kind: 'failed', noResult: false };
    case 'Suspended':
      return { kind: 'suspended', dispatched };
    default:
      // Pending, Running, ContinuedAsNew and anything a newer runtime invents: the request is not
      // over, so callers keep waiting rather than see a made-up final state.
      return dispatched ? { kind: 'awaitingReply' } : { kind: 'pending' };
  }
}

export function isFinal(state: RequestState): state is FinalState {
  return state.kind === 'answered' || state.kind === 'timedOut' || state.kind === 'canceled' || state.kind === 'failed';
}
