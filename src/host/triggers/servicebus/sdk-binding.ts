// `sdkBinding: true` on a Service Bus trigger: instead of the body, the function gets what
// `@azure/functions-extensions-servicebus` builds from the host's ModelBindingData (the received
// message and the message actions that settle it through settlement-server.ts).
//
// The ModelBindingData is the Service Bus extension's: source `AzureServiceBusReceivedMessage`,
// content type `application/octet-stream`, version 1.0, and content = the 16-byte lock token in
// .NET GUID byte order followed by the AMQP-encoded message. The message carries the lock token as
// the delivery annotation `x-opt-lock-token`, as the service delivers it: the extension's decoder
// (0.2.0-preview) looks for that name and reads the message from there on.
//
// The Node library turns ModelBindingData into the function's argument through
// `@azure/functions-extensions-base`'s ResourceFactoryResolver, a singleton the extension registers
// its factory with. This host calls the app's library directly rather than through the worker's
// RPC conversion, so it asks the copy of extensions-base that the app's `@azure/functions` loads:
// another copy would hold no factory.
import { createRequire } from 'node:module';
import path from 'node:path';
import { AmqpAnnotatedMessage } from '@azure/core-amqp';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { message as rheaMessage, string_to_uuid, types } from 'rhea';

export const SERVICE_BUS_BINDING_SOURCE = 'AzureServiceBusReceivedMessage';
const EXTENSION_PACKAGE = '@azure/functions-extensions-servicebus';

export interface ModelBindingData {
  version: string;
  source: string;
  contentType: string;
  content: Buffer;
}

/** The trigger asks for the SDK's types, as `toCoreFunctionMetadata` marks it. */
export function isSdkBound(trigger: Record<string, unknown>): boolean {
  const properties = trigger.properties as Record<string, unknown> | undefined;
  return trigger.sdkBinding === true || properties?.supportsDeferredBinding === 'true';
}

/** What an SDK-bound trigger needs from the app: the Settlement contract and the factory resolver. */
export interface SdkBindingSupport {
  protoPath: string;
  createClient(data: ModelBindingData | ModelBindingData[]): unknown;
}

/** Finds both in the app's packages; refuses, naming the package, when the app lacks them. */
export function sdkBindingSupport(appDir: string, functionName: string): SdkBindingSupport {
  const appRequire = createRequire(path.join(appDir, 'package.json'));
  let extensionDir: string;
  try {
    extensionDir = path.dirname(appRequire.resolve(`${EXTENSION_PACKAGE}/package.json`));
  } catch {
    throw new Error(
      `Function ${functionName} declares sdkBinding: true, which needs the ${EXTENSION_PACKAGE} package in the app (and an import of it); it is not installed in ${appDir}.`,
    );
  }
  const libraryRequire = createRequire(appRequire.resolve('@azure/functions'));
  const base = libraryRequire('@azure/functions-extensions-base') as {
    ResourceFactoryResolver: { getInstance(): { createClient(source: string, data: unknown): unknown } };
  };
  return {
    protoPath: path.join(extensionDir, 'dist', 'proto', 'settlement.proto'),
    createClient(data) {
      try {
        return base.ResourceFactoryResolver.getInstance().createClient(SERVICE_BUS_BINDING_SOURCE, data);
      } catch (err) {
        // The Node library's own wording for the same failure (fromRpcTypedData).
        throw new Error(
          `Unable to create client. Please register the extensions library with your function app. Error: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    },
  };
}

/** The annotations the SDK hands back as numbers (it converts dates) are timestamps on the wire. */
const TIME_ANNOTATIONS = ['x-opt-enqueued-time', 'x-opt-locked-until', 'x-opt-scheduled-enqueue-time'];

export function modelBindingData(message: ServiceBusReceivedMessage): ModelBindingData {
  const lockToken = message.lockToken;
  if (!lockToken) throw new Error(`message ${String(message.messageId)} has no lock token (peek-lock only)`);
  const raw = message._rawAmqpMessage;
  const annotations: Record<string, unknown> = { ...raw.messageAnnotations };
  for (const key of TIME_ANNOTATIONS) {
    const value = annotations[key];
    if (typeof value === 'number') annotations[key] = new Date(value);
  }
  const encoded = rheaMessage.encode({
    ...AmqpAnnotatedMessage.toRheaMessage({ ...raw, messageAnnotations: annotations }),
    delivery_annotations: { ...raw.deliveryAnnotations, 'x-opt-lock-token': types.wrap_uuid(string_to_uuid(lockToken)) },
    // toRheaMessage leaves the body as the SDK holds it: a data section's bytes must go back as one.
    body: rheaBody(raw.body, raw.bodyType),
  });
  return {
    version: '1.0',
    source: SERVICE_BUS_BINDING_SOURCE,
    contentType: 'application/octet-stream',
    content: Buffer.concat([dotNetGuidBytes(lockToken), encoded]),
  };
}

function rheaBody(body: unknown, bodyType: string | undefined): unknown {
  const section = body as { typecode?: unknown } | null;
  if (section !== null && typeof section === 'object' && typeof section.typecode === 'number') return body;
  if (bodyType === 'sequence') return rheaMessage.sequence_section(body);
  if (bodyType === 'value') return body;
  if (Buffer.isBuffer(body)) return rheaMessage.data_section(body);
  return rheaMessage.data_section(Buffer.from(typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body)));
}

/** `Guid.ToByteArray()`: the first three groups little-endian, as the lock token is on the wire. */
function dotNetGuidBytes(lockToken: string): Buffer {
  const bytes = string_to_uuid(lockToken);
  return Buffer.from([3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15].map((i) => bytes[i] ?? 0));
}
