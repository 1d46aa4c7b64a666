/**
 * The Azure Storage provider's escaping of an instance id into a PartitionKey. Table keys may not
 * hold `/ \ # ?` or control characters; the provider rewrites them with `^` as the escape so any
 * instance id the SDK accepts has a row, and tools that unescape it (Durable Functions Monitor)
 * show the id the user chose. Ours must match, or those tools would show a different id.
 */
const ESCAPE = '^';
/** Control characters are shifted up by this code point so they stay printable and reversible. */
const SHIFT = 0xc0;
const NAMED: Readonly<Record<string, string>> = { [ESCAPE]: ESCAPE, '/': '0', '\\': '1', '#': '2', '?': '3' };

export function escapePartitionKey(instanceId: string): string {
  let out = '';
  for (const c of instanceId) {
    const named = NAMED[c];
    if (named !== undefined) {
      out += ESCAPE + named;
      continue;
    }
    const code = c.charCodeAt(0);
    out += code <= 0x1f || (code >= 0x7f && code <= 0x9f) ? ESCAPE + String.fromCharCode(SHIFT + code) : c;
  }
  return out;
}
