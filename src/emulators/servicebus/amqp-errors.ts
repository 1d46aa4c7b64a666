// The AMQP error conditions the emulator answers with, and the management status code each maps
// to. The SDK turns the condition (and, for not-found, the description's wording) into its error
// codes, so the wording below is part of the contract, not decoration.

export const Conditions = {
  notFound: 'amqp:not-found',
  notImplemented: 'amqp:not-implemented',
  notAllowed: 'amqp:not-allowed',
  invalidField: 'amqp:invalid-field',
  internalError: 'amqp:internal-error',
  lockLost: 'com.microsoft:message-lock-lost',
  deadLetter: 'com.microsoft:dead-letter',
  /** core-amqp maps it to MessageTooLargeError, which the SDK reports as code `MessageSizeExceeded`. */
  messageSizeExceeded: 'amqp:link:message-size-exceeded',
} as const;

export type Condition = (typeof Conditions)[keyof typeof Conditions];

const statusCodes: Record<Condition, number> = {
  [Conditions.notFound]: 404,
  [Conditions.notImplemented]: 501,
  [Conditions.notAllowed]: 400,
  [Conditions.invalidField]: 400,
  [Conditions.internalError]: 500,
  [Conditions.lockLost]: 410,
  [Conditions.deadLetter]: 400,
  [Conditions.messageSizeExceeded]: 413,
};

/** Thrown by the broker's model; the AMQP edge turns it into a link error or a management reply. */
export class AmqpFailure extends Error {
  override readonly name = 'AmqpFailure';

  constructor(
    readonly condition: Condition,
    description: string,
  ) {
    super(description);
  }

  get statusCode(): number {
    return statusCodes[this.condition];
  }

  toAmqpError(): { condition: string; description: string } {
    return { condition: this.condition, description: this.message };
  }
}

/** Worded like the real service: core-amqp matches "The messaging entity .* could not be found". */
export function entityNotFound(entityPath: string): AmqpFailure {
  return new AmqpFailure(Conditions.notFound, `The messaging entity '${entityPath}' could not be found.`);
}

export function notImplemented(feature: string): AmqpFailure {
  return new AmqpFailure(Conditions.notImplemented, `${feature} is not supported by the local Service Bus emulator.`);
}

export function notAllowed(description: string): AmqpFailure {
  return new AmqpFailure(Conditions.notAllowed, description);
}

export function lockLost(lockToken: string): AmqpFailure {
  return new AmqpFailure(
    Conditions.lockLost,
    `The lock supplied (${lockToken}) is invalid: the lock expired, or the message was already settled or removed.`,
  );
}

export function invalidField(field: string, problem: string): AmqpFailure {
  return new AmqpFailure(Conditions.invalidField, `Request field '${field}': ${problem}.`);
}

export function messageSizeExceeded(sizeInBytes: number, maxInBytes: number): AmqpFailure {
  return new AmqpFailure(
    Conditions.messageSizeExceeded,
    `The received message (${sizeInBytes} bytes) exceeds the limit (${maxInBytes} bytes) currently allowed on the link.`,
  );
}

export function internalError(description: string): AmqpFailure {
  return internalError(description);
}

/** Anything thrown inside a handler becomes an AMQP failure rather than crashing the broker. */
export function toAmqpFailure(error: unknown): AmqpFailure {
  if (error instanceof AmqpFailure) return error;
  const description = error instanceof Error ? error.message : String(error);
  return internalError(description);
}
