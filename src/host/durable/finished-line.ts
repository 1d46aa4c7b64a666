/**
 * A finished instance's checkpoint status line, recognised without parsing it. Start-up over a
 * hub of 100 000 finished instances spent most of its recovery parsing their status lines (and
 * collecting the garbage that made), though nothing reads most of them before they are purged.
 * The checkpoint writer marks a finished instance's line (`"done":true` right after its kind),
 * and a line that starts with that mark and ends with an empty inbox is taken as is: only its
 * instance id is read here, the rest is parsed when the record is first needed. Anything else
 * (an older checkpoint's lines among them) is parsed at once, as before.
 */

const PREFIX = Buffer.from('{"k":"instance","done":true,"record":{"instanceId":"');
const SUFFIX = Buffer.from(',"inbox":[]}');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The line's instance id when it is a finished instance's line with nothing in its inbox. */
export function finishedLineId(line: Buffer): string | undefined {
  if (line.length < PREFIX.length + SUFFIX.length) return undefined;
  if (line.compare(PREFIX, 0, PREFIX.length, 0, PREFIX.length) !== 0) return undefined;
  if (line.compare(SUFFIX, 0, SUFFIX.length, line.length - SUFFIX.length) !== 0) return undefined;
  // The id is a JSON string: it ends at the first quote not escaped by an odd run of backslashes.
  let end = PREFIX.length;
  for (;;) {
    end = line.indexOf(QUOTE, end);
    if (end < 0) return undefined;
    let slashes = 0;
    while (line[end - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) break;
    end++;
  }
  const raw = line.toString('utf8', PREFIX.length, end);
  return raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
}
