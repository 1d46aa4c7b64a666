// The places this gateway's set-aside replies are held, from its configuration: the rejected
// blob container always; with Service Bus on, the forward queue and the reply subscription's
// dead-letter queue too (both, whichever way the reply function sets replies aside).
import { blobStoreFor } from '../blob-store.js';
import type { GatewayConfig } from '../config.js';
import { serviceBusFor } from '../servicebus-port.js';
import { BlobRejectedSource } from './blob-source.js';
import { RejectedCatalogue } from './catalogue.js';
import type { RejectedSource } from './rejected-source.js';
import { ServiceBusRejectedSource } from './servicebus-source.js';

export function rejectedCatalogueFor(config: GatewayConfig): RejectedCatalogue {
  const sources: RejectedSource[] = [new BlobRejectedSource(blobStoreFor(config.storageConnection), config)];
  if (config.serviceBus !== undefined) {
    const bus = serviceBusFor(config.serviceBus.connection);
    sources.push(new ServiceBusRejectedSource('queue', bus, config.serviceBus));
    sources.push(new ServiceBusRejectedSource('dlq', bus, config.serviceBus));
  }
  return new RejectedCatalogue(sources);
}
