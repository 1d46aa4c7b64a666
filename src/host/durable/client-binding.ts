/**
 * The value of the `durableClient` input binding, in the shape the real Durable extension hands
 * to out-of-process workers: where the client's calls go (`rpcBaseUrl`) and the management URLs
 * it gives out, which carry the system key (`code=`) when keys are enforced.
 */
/** Path of the Durable extension's webhooks on a Functions host (Azure uses the same path). */
export const WEBHOOK_PATH = '/runtime/webhooks/durabletask';

export interface ClientBindingUrls {
  /** e.g. `http://127.0.0.1:7071/runtime/webhooks/durabletask` */
  baseUrl: string;
  taskHubName: string;
  connectionName: string;
  /**
   * When keys are enforced: the `durabletask_extension` system key, which the real extension
   * puts in every management URL it hands out (`code=`), and the loopback-only listener the
   * client's own calls go to instead (the extension's local RPC endpoint needs no key).
   */
  systemKey?: string;
  rpcBaseUrl?: string;
}

function requiredQuery(urls: ClientBindingUrls): string {
  const qs = `taskHub=${encodeURIComponent(urls.taskHubName)}&connection=${encodeURIComponent(urls.connectionName)}`;
  return urls.systemKey ? `${qs}&code=${encodeURIComponent(urls.systemKey)}` : qs;
}

/**
 * The `durableClient` input binding's value (docs/durable-host-contract.md#2-the-durable-client-binding).
 * `rpcBaseUrl` sends every client call to this host's management API; the management URLs are
 * what `createCheckStatusResponse` hands out.
 */
export function clientBindingData(urls: ClientBindingUrls): Record<string, unknown> {
  const { baseUrl, taskHubName } = urls;
  const qs = requiredQuery(urls);
  return {
    taskHubName,
    creationUrls: {
      createNewInstancePostUri: `${baseUrl}/orchestrators/{functionName}[/{instanceId}]?${qs}`,
      createAndWaitOnNewInstancePostUri: `${baseUrl}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${qs}`,
    },
    managementUrls: managementPayload(urls, 'INSTANCEID'),
    baseUrl,
    requiredQueryStringParameters: qs,
    rpcBaseUrl: urls.rpcBaseUrl ?? `${baseUrl}/`,
  };
}

export function managementPayload(urls: ClientBindingUrls, id: string): Record<string, string> & { statusQueryGetUri: string } {
  const qs = requiredQuery(urls);
  const instance = `${urls.baseUrl}/instances/${encodeURIComponent(id)}`;
  return {
    id,
    statusQueryGetUri: `${instance}?${qs}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${qs}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${qs}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${qs}`,
    purgeHistoryDeleteUri: `${instance}?${qs}`,
    restartPostUri: `${instance}/restart?${qs}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${qs}`,
    resumePostUri: `${instance}/resume?reason={text}&${qs}`,
  };
}
