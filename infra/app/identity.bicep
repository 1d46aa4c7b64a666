// The one identity the Function App runs as: storage, Service Bus, monitoring and the Durable
// Task Scheduler all know the app by it (rbac.bicep grants what it may do).
param name string
param location string
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
