// What a Service Bus-triggered function gets as its first argument, as on Azure: the extension
// turns the message into the binding's type (a string unless `dataType` says otherwise), the host
// sends that to the Node worker, and the worker's library JSON-parses strings that hold JSON.
import type { ServiceBusReceivedMessage } from '@azure/service-bus';

/**
 * The trigger input for a message received with `skipParsingBodyAsJson: true`, so that a data
 * section arrives as its bytes and is decoded once, as on Azure, not once by the SDK and again here
 * (a string body holding JSON text would otherwise reach the function parsed).
 */
export function triggerBodyOf(message: ServiceBusReceivedMessage, dataType: unknown): unknown {
  const body: unknown = message.body;
  const bodyType = message._rawAmqpMessage.bodyType ?? 'data';
  if (dataType === 'binary') return toBytes(body);
  return parsedAsTheWorkerDoes(asBindingString(body, bodyType));
}

/**
 * The extension's `MessageToStringConverter`: a data section's bytes as UTF-8 (invalid sequences
 * become U+FFFD, as `BinaryData.ToString()` has it), a value section only if it holds a string.
 * The .NET-only fallback for DataContract-serialized strings has no Node sender and is left out.
 */
function asBindingString(body: unknown, bodyType: string): string {
  if (bodyType === 'data') return Buffer.isBuffer(body) || body instanceof Uint8Array ? Buffer.from(body).toString('utf8') : String(body);
  if (bodyType === 'value' && typeof body === 'string') return body;
  // The host fails the invocation the same way: the message is abandoned and, in the end, dead-lettered.
  if (bodyType === 'value') throw new Error(`A message with a body of type ${typeOfValue(body)} cannot be bound to a string.`);
  throw new Error('A sequence body message cannot be bound to a string.');
}

/** The worker's `fromRpcTypedData`: a string (or JSON) typed value is JSON-parsed when it parses. */
function parsedAsTheWorkerDoes(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** `dataType: 'binary'` (`MessageToByteArrayConverter`): the body's bytes exactly as sent. */
function toBytes(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body);
  // Value sections: the local host's reading (the .NET SDK's Body of a value section).
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
}

function typeOfValue(value: unknown): string {
  if (value === null) return 'null';
  if (Buffer.isBuffer(value)) return 'binary';
  return Array.isArray(value) ? 'array' : typeof value;
}
