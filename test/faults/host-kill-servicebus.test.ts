// SIGKILL of the host on the Service Bus channel (request topic, reply topic): a real host process killed with
// requests pending, sync and async, all dispatched and unanswered; the backend answers while no
// host runs; a new host on the same Durable data folder answers every one (test/faults/host-kill.ts).
// Azurite, the Service Bus endpoint and the backend outlive the host, as they would on Azure.
import { killSuite } from './host-kill.js';

killSuite('servicebus');
