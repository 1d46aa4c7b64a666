// No function: the app's telemetry (gateway/telemetry/). Started with the app when configured, so
// the first request does not pay for loading the SDK; sends what it still holds when the host
// stops the app (bounded there, so an unreachable endpoint cannot hold up the exit).
import { app } from '@azure/functions';
import { activeTelemetry, shutdownTelemetry } from '../gateway/telemetry/index.js';

app.hook.appStart(() => {
  activeTelemetry();
});
app.hook.appTerminate(() => shutdownTelemetry());
