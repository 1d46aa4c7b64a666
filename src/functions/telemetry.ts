// No function: the app's telemetry (gateway/telemetry/) sends what it still holds when the host
// stops the app. Bounded there, so an unreachable endpoint cannot hold up the exit.
import { app } from '@azure/functions';
import { shutdownTelemetry } from '../gateway/telemetry/index.js';

app.hook.appTerminate(() => shutdownTelemetry());
