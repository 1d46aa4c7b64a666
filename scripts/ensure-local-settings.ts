/**
 * `npm start` on a fresh clone: Core Tools and the local host read app settings from
 * local.settings.json, which is git-ignored (it may hold secrets). Create it from the committed
 * sample once, and never overwrite a developer's own.
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '../..');
const target = path.join(root, 'local.settings.json');
const sample = path.join(root, 'local.settings.sample.json');

if (!fs.existsSync(target)) {
  fs.copyFileSync(sample, target);
  console.log('Created local.settings.json from local.settings.sample.json (edit it to change settings).');
}
