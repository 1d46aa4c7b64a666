// Checks every app setting when the app starts, so a missing or incomplete one (an identity
// connection without its account or namespace, a number out of range) stops the app at start
// with the setting named, instead of answering the first caller with a 500. The functions still
// read the settings on first use (getConfig); this only parses them once early.
import { app } from '@azure/functions';
import { parseConfig } from '../gateway/config.js';

app.hook.appStart(() => {
  parseConfig(process.env);
});
