#!/bin/sh
# azd postdeploy hook: subscribes the blob reply trigger to the storage account's BlobCreated
# events for the replies container, through the Functions host's /runtime/webhooks/blobs
# endpoint (the only blob trigger source on Flex Consumption). The endpoint wants the app's
# blobs_extension system key, which the host creates once a blob trigger with the EventGrid source
# is loaded; until then this hook says so and leaves blob replies off (Service Bus replies work).
set -eu

for name in AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME AZURE_STORAGE_SYSTEM_TOPIC_NAME SERVICE_GATEWAY_URI GATEWAY_REPLIES_CONTAINER; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "postdeploy: $name is not set; run azd provision first" >&2
    exit 1
  fi
done
if ! command -v az >/dev/null 2>&1; then
  echo "postdeploy: the Azure CLI (az) is needed to create the blob replies' Event Grid subscription" >&2
  exit 1
fi

key=$(az functionapp keys list --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
  --query systemKeys.blobs_extension --output tsv)
if [ -z "$key" ]; then
  echo "postdeploy: WARNING no blobs_extension key on $AZURE_FUNCTION_APP_NAME: the blob reply trigger is not" >&2
  echo "  registered with source EventGrid, so blob replies are not delivered on this plan." >&2
  echo "  Use the Service Bus reply channel (docs/deploy.md), or set GATEWAY_BLOB_TRIGGER_SOURCE=EventGrid (the template's" >&2
  echo "  default on Flex Consumption) and deploy again; the host makes the key once that trigger is loaded." >&2
  exit 0
fi

# The key travels in the endpoint URL, as Event Grid webhooks require; it is never printed.
az eventgrid system-topic event-subscription create \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --system-topic-name "$AZURE_STORAGE_SYSTEM_TOPIC_NAME" \
  --name blob-replies \
  --endpoint-type webhook \
  --endpoint "$SERVICE_GATEWAY_URI/runtime/webhooks/blobs?functionName=Host.Functions.blobReply&code=$key" \
  --included-event-types Microsoft.Storage.BlobCreated \
  --subject-begins-with "/blobServices/default/containers/$GATEWAY_REPLIES_CONTAINER/" \
  --output none
echo "postdeploy: BlobCreated events in $GATEWAY_REPLIES_CONTAINER now reach the blobReply trigger"
