// The SDK settles a message in two dialects: as an AMQP outcome on the delivery, or, once the
// receiving link is gone, as a $management `update-disposition` request. Both mean the same five
// things to a store.
import { Conditions, invalidField } from './amqp-errors.js';

type Properties = Readonly<Record<string, unknown>>;

export type Disposition =
  | { readonly kind: 'complete' }
  | { readonly kind: 'abandon'; readonly propertiesToModify?: Properties }
  | { readonly kind: 'defer' }
  /** Not a delivery attempt (AMQP released): back to the queue without counting. */
  | { readonly kind: 'release' }
  | { readonly kind: 'deadLetter'; readonly reason?: string; readonly description?: string; readonly propertiesToModify?: Properties };

interface Outcome {
  readonly constructor?: { readonly composite_type?: string };
  readonly undeliverable_here?: boolean;
  readonly message_annotations?: Properties;
  readonly error?: { readonly condition?: string; readonly info?: Properties };
}

/** complete = accepted, abandon = modified, defer = modified undeliverable-here, dead-letter = rejected. */
export function dispositionOfOutcome(state: unknown): Disposition {
  const outcome = (state ?? {}) as Outcome;
  switch (outcome.constructor?.composite_type) {
    case 'accepted':
      return { kind: 'complete' };
    case 'modified':
      return outcome.undeliverable_here ? { kind: 'defer' } : { kind: 'abandon', propertiesToModify: outcome.message_annotations };
    case 'rejected': {
      const { DeadLetterReason, DeadLetterErrorDescription, ...propertiesToModify } = outcome.error?.info ?? {};
      return {
        kind: 'deadLetter',
        reason: optionalString(DeadLetterReason),
        description: optionalString(DeadLetterErrorDescription),
        propertiesToModify: outcome.error?.condition === Conditions.deadLetter ? propertiesToModify : undefined,
      };
    }
    default:
      return { kind: 'release' };
  }
}

/** The body of a `com.microsoft:update-disposition` request (the SDK spells "defered" so). */
export function dispositionOfManagementRequest(body: Properties): Disposition {
  const propertiesToModify = (body['properties-to-modify'] ?? undefined) as Properties | undefined;
  switch (body['disposition-status']) {
    case 'completed':
      return { kind: 'complete' };
    case 'abandoned':
      return { kind: 'abandon', propertiesToModify };
    case 'defered':
      return { kind: 'defer' };
    case 'suspended':
      return {
        kind: 'deadLetter',
        reason: optionalString(body['deadletter-reason']),
        description: optionalString(body['deadletter-description']),
        propertiesToModify,
      };
    default:
      throw invalidField('disposition-status', `unknown value '${String(body['disposition-status'])}'`);
  }
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
