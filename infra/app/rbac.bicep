// What the app's identity may do, and nothing more: blob, queue and table data in its storage
// account (the Functions host, Durable state on the Azure Storage backend, the gateway's blobs),
// send and receive on its Service Bus namespace, publish telemetry, and, with the scheduler
// backend, drive its task hub. The deployer (principalId) gets data access for replying by hand
// and reading the scheduler's dashboard.
param identityPrincipalId string
@description('Object id of whoever ran azd; empty: no roles for them.')
param deployerPrincipalId string = ''
param storageAccountName string
param serviceBusNamespaceName string
param applicationInsightsName string
@description('Durable Task Scheduler name; empty when Durable state stays in the storage account.')
param schedulerName string = ''

// Built-in role definition ids (the same in every tenant).
var roles = {
  // The blob trigger keeps its receipts and the host its leases as blobs; Owner is what the
  // Functions host documents for AzureWebJobsStorage.
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  durableTaskDataContributor: '0ad04412-c4d5-4796-b79c-f76d14c8d402'
}

var storageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]
var serviceBusRoles = [
  roles.serviceBusDataSender
  roles.serviceBusDataReceiver
]
var withDeployer = !empty(deployerPrincipalId)
var withScheduler = !empty(schedulerName)

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource scheduler 'Microsoft.DurableTask/schedulers@2026-02-01' existing = if (withScheduler) {
  name: withScheduler ? schedulerName : 'none'
}

resource appStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in storageRoles: {
    name: guid(storage.id, identityPrincipalId, role)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: identityPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource appServiceBus 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in serviceBusRoles: {
    name: guid(namespace.id, identityPrincipalId, role)
    scope: namespace
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: identityPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource appTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identityPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appScheduler 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (withScheduler) {
  name: guid(scheduler.id, identityPrincipalId, roles.durableTaskDataContributor)
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.durableTaskDataContributor)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The deployer's principal type is not known here (a user locally, a service principal in CI),
// so it is left for Azure to look up.
resource deployerBlobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (withDeployer) {
  name: guid(storage.id, deployerPrincipalId, roles.storageBlobDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: deployerPrincipalId
  }
}

resource deployerServiceBus 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in (withDeployer ? serviceBusRoles : []): {
    name: guid(namespace.id, deployerPrincipalId, role)
    scope: namespace
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: deployerPrincipalId
    }
  }
]

resource deployerScheduler 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (withDeployer && withScheduler) {
  name: guid(scheduler.id, deployerPrincipalId, roles.durableTaskDataContributor)
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.durableTaskDataContributor)
    principalId: deployerPrincipalId
  }
}
