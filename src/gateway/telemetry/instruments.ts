// The gateway's metrics: names, units and attributes in one place, so the README's table, the
// recording calls (spans.ts) and the exporters agree. Created on a Meter only when telemetry is on.
import type { Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';

export const METRIC = {
  /** Submit calls by `gateway.mode` and `gateway.outcome` (what the caller got; see outcomeOf). */
  requests: 'gateway.requests',
  /** From the reply's arrival at the gateway to the answer that carried it (sync call or GET result). */
  replyToResponse: 'gateway.reply_to_response.duration',
  /** From the submit call's arrival to the answer that carried the reply. */
  submitToResponse: 'gateway.submit_to_response.duration',
  /** Sync callers held open right now, waiting for their reply. */
  callersWaiting: 'gateway.callers.waiting',
  /** Replies set aside, by `gateway.reason` and `gateway.channel`. */
  repliesSetAside: 'gateway.replies.set_aside',
  /** Dispatch activity runs that failed (Durable retries the activity), by `gateway.channel`. */
  dispatchFailures: 'gateway.dispatch.failures',
} as const;

export interface GatewayInstruments {
  requests: Counter;
  replyToResponse: Histogram;
  submitToResponse: Histogram;
  callersWaiting: UpDownCounter;
  repliesSetAside: Counter;
  dispatchFailures: Counter;
}

export function gatewayInstruments(meter: Meter): GatewayInstruments {
  return {
    requests: meter.createCounter(METRIC.requests, { unit: '{request}', description: 'Submit calls by mode and outcome' }),
    replyToResponse: meter.createHistogram(METRIC.replyToResponse, {
      unit: 'ms',
      description: 'Reply received at the gateway to the response that carried it',
    }),
    submitToResponse: meter.createHistogram(METRIC.submitToResponse, {
      unit: 'ms',
      description: 'Submit call received to the response that carried the reply',
    }),
    callersWaiting: meter.createUpDownCounter(METRIC.callersWaiting, { unit: '{caller}', description: 'Callers waiting for a reply now' }),
    repliesSetAside: meter.createCounter(METRIC.repliesSetAside, { unit: '{reply}', description: 'Replies set aside by reason' }),
    dispatchFailures: meter.createCounter(METRIC.dispatchFailures, { unit: '{failure}', description: 'Failed dispatches to the backend' }),
  };
}
