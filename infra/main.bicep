// The gateway on Azure, the way `azd up` builds it: one resource group holding a Flex Consumption
// Function App, its storage account, a Service Bus namespace with the topology the local endpoint
// reads from servicebus-emulator.json, monitoring, and one user-assigned identity that every
// connection uses. No key or connection string is written anywhere: each service is reached by
// that identity. test/deploy/ holds this file to config.ts, the sample settings and the README.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; seeds the unique suffix of every resource name.')
param environmentName string

@minLength(1)
@description('Region for every resource. Flex Consumption and the Durable Task Scheduler are not in every region.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the person or pipeline running azd; gets data access for replying by hand. Empty: none.')
param principalId string = ''

@description('Where Durable Functions keeps orchestration state: the storage account, or a Durable Task Scheduler.')
@allowed([
  'azureStorage'
  'durableTaskScheduler'
])
param durableBackend string = 'azureStorage'

@description('Gateway settings that differ from the defaults below, e.g. { GATEWAY_REQUEST_CHANNEL: \'servicebus\' }.')
param gatewaySettingOverrides object = {}

@description('Upper bound of Flex Consumption instances.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory per Flex Consumption instance.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

// Every setting src/gateway/config.ts reads, with config.ts's default, so the deployed app states
// what it runs with. The drift test fails when one is missing here or its default differs.
var gatewaySettingDefaults = {
  GATEWAY_SYNC_WAIT_SECONDS: '30'
  GATEWAY_MAX_SYNC_WAIT_SECONDS: '200'
  GATEWAY_POLL_INTERVAL_MS: '500'
  GATEWAY_ASYNC_DEADLINE_SECONDS: '3600'
  GATEWAY_RETRY_AFTER_SECONDS: '1'
  GATEWAY_REQUEST_CHANNEL: 'blob'
  GATEWAY_REQUESTS_CONTAINER: 'requests'
  GATEWAY_REPLIES_CONTAINER: 'replies'
  GATEWAY_BLOB_TRIGGER_SOURCE: 'LogsAndContainerScan'
  GATEWAY_REJECTED_CONTAINER: 'replies-rejected'
  GATEWAY_REPLY_BODIES_CONTAINER: 'reply-bodies'
  GATEWAY_MAX_BODY_BYTES: '1048576'
  GATEWAY_INLINE_REPLY_BYTES: '32768'
  GATEWAY_REPLY_GRACE_MS: '5000'
  GATEWAY_CONTAINER: 'gateway'
  GATEWAY_PUBLIC_BASE_URL: ''
  GATEWAY_RETENTION_HOURS: '24'
  GATEWAY_REJECTED_RETENTION_HOURS: '168'
  GATEWAY_REQUEST_TOPIC: 'requests'
  GATEWAY_REPLY_TOPIC: 'replies'
  GATEWAY_REPLY_SUBSCRIPTION: 'gateway'
  GATEWAY_REPLY_SET_ASIDE: 'deadletter'
  GATEWAY_REJECTED_REPLY_QUEUE: 'replies-rejected'
  GATEWAY_SERVICEBUS_MAX_MESSAGE_BYTES: '262144'
}
var gatewaySettings = union(gatewaySettingDefaults, gatewaySettingOverrides)

// The task hub the app's host.json names (both variants); a scheduler's task hub carries the same name.
var taskHubName = 'SyncOverAsyncHub'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-${resourceToken}'
// Flex Consumption reads the app package from this container, with the app's identity.
var deploymentContainerName = 'app-package-${take(resourceToken, 7)}'
var useScheduler = durableBackend == 'durableTaskScheduler'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-gateway-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    containerNames: [
      deploymentContainerName
      gatewaySettings.GATEWAY_REQUESTS_CONTAINER
      gatewaySettings.GATEWAY_REPLIES_CONTAINER
      gatewaySettings.GATEWAY_REJECTED_CONTAINER
      gatewaySettings.GATEWAY_REPLY_BODIES_CONTAINER
      gatewaySettings.GATEWAY_CONTAINER
    ]
    systemTopicName: 'evgt-blobs-${resourceToken}'
  }
}

module serviceBus 'app/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    name: 'sb-${resourceToken}'
    location: location
    tags: tags
  }
}

module scheduler 'app/durable-task-scheduler.bicep' = if (useScheduler) {
  name: 'durable-task-scheduler'
  scope: rg
  params: {
    name: 'dts-${resourceToken}'
    taskHubName: taskHubName
    location: location
    tags: tags
  }
}

module functionApp 'app/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    serviceBusNamespace: serviceBus.outputs.fullyQualifiedNamespace
    schedulerEndpoint: useScheduler ? scheduler.outputs.endpoint : ''
    gatewaySettings: gatewaySettings
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    identityPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    schedulerName: useScheduler ? scheduler.outputs.name : ''
  }
}

// Names and addresses only: azd keeps these in .azure/<env>/.env, the hooks and docs/deploy.md use them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_GATEWAY_URI string = functionApp.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_SYSTEM_TOPIC_NAME string = storage.outputs.systemTopicName
output SERVICE_BUS_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output GATEWAY_REPLIES_CONTAINER string = gatewaySettings.GATEWAY_REPLIES_CONTAINER
output DURABLE_BACKEND string = durableBackend
output DURABLE_TASK_SCHEDULER_ENDPOINT string = useScheduler ? scheduler.outputs.endpoint : ''
