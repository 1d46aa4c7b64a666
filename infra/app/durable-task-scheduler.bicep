// The Durable Task Scheduler backend (durableBackend = durableTaskScheduler): a scheduler on the
// Consumption SKU and the task hub host.dts.json names. Access is by identity only (rbac.bicep).
param name string
param taskHubName string
param location string
param tags object = {}

resource scheduler 'Microsoft.DurableTask/schedulers@2026-02-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'Consumption'
    }
    // Open to any address; the scheduler still demands an identity with a Durable Task role.
    ipAllowlist: [
      '0.0.0.0/0'
    ]
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2026-02-01' = {
  parent: scheduler
  name: taskHubName
}

output name string = scheduler.name
output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
