// The Service Bus namespace (Standard: topics need it) with exactly the topology the local
// endpoint reads from servicebus-emulator.json: the request topic and the backend's subscription,
// the reply topic and the gateway's subscription, the queue rejected replies are forwarded to.
// Written out in ARM's own terms rather than loaded from that file, so `azd provision --preview`
// shows it; test/deploy/settings-drift.test.ts fails when the two differ. Local (SAS) auth is off.
param name string
param location string
param tags object = {}

var queues = [
  {
    name: 'replies-rejected'
    properties: {
      deadLetteringOnMessageExpiration: false
      defaultMessageTimeToLive: 'PT1H'
      duplicateDetectionHistoryTimeWindow: 'PT20S'
      lockDuration: 'PT1M'
      maxDeliveryCount: 10
      requiresDuplicateDetection: false
      requiresSession: false
    }
  }
]

var topics = [
  {
    name: 'requests'
    properties: {
      defaultMessageTimeToLive: 'PT1H'
      duplicateDetectionHistoryTimeWindow: 'PT20S'
      requiresDuplicateDetection: false
    }
    subscriptions: [
      {
        name: 'backend'
        properties: {
          deadLetteringOnMessageExpiration: false
          defaultMessageTimeToLive: 'PT1H'
          lockDuration: 'PT1M'
          maxDeliveryCount: 10
          requiresSession: false
        }
        rules: []
      }
    ]
  }
  {
    name: 'replies'
    properties: {
      defaultMessageTimeToLive: 'PT1H'
      duplicateDetectionHistoryTimeWindow: 'PT20S'
      requiresDuplicateDetection: false
    }
    subscriptions: [
      {
        name: 'gateway'
        properties: {
          deadLetteringOnMessageExpiration: false
          defaultMessageTimeToLive: 'PT1H'
          lockDuration: 'PT1M'
          maxDeliveryCount: 10
          requiresSession: false
        }
        rules: []
      }
    ]
  }
]

// One list per resource type, each item knowing its parents' names (lambda variables are kept
// apart from the resource symbols topic, subscription and rule).
var subscriptions = flatten(map(topics, t => map(t.subscriptions, s => union(s, { topicName: t.name }))))
var rules = flatten(map(subscriptions, s => map(s.rules, r => union(r, { topicName: s.topicName, subscriptionName: s.name }))))

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [
  for item in queues: {
    parent: namespace
    name: item.name
    properties: item.properties
  }
]

resource topic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = [
  for item in topics: {
    parent: namespace
    name: item.name
    properties: item.properties
  }
]

resource subscription 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = [
  for item in subscriptions: {
    name: '${namespace.name}/${item.topicName}/${item.name}'
    properties: item.properties
    dependsOn: [
      topic
    ]
  }
]

// A subscription without rules keeps the service's match-all `$Default` rule: the emulator also
// delivers everything to a subscription without rules. ARM gives every subscription that rule, so
// a subscription with filters must name one of its rules `$Default` (deploying it replaces the
// match-all one); otherwise it would still receive every message. The drift test checks this.
resource rule 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2024-01-01' = [
  for item in rules: {
    name: '${namespace.name}/${item.topicName}/${item.subscriptionName}/${item.name}'
    properties: item.properties
    dependsOn: [
      subscription
    ]
  }
]

output name string = namespace.name
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
