// The storage account: Durable state (Azure Storage backend), the app package, and the gateway's
// request, reply, rejected and claim-check containers. Shared keys are off: only identities with
// a data role get in. The Event Grid system topic carries BlobCreated events to the blob reply
// trigger; its subscription needs the app's blobs_extension key, which exists only once the code
// is deployed, so infra/hooks/postdeploy.sh creates it.
param name string
param location string
param tags object = {}
param containerNames array
param systemTopicName string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  // union() drops repeated names: two settings naming one container get one container.
  for container in union(containerNames, []): {
    parent: blobService
    name: container
    properties: {
      publicAccess: 'None'
    }
  }
]

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: systemTopicName
  location: location
  tags: tags
  properties: {
    source: account.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output systemTopicName string = systemTopic.name
