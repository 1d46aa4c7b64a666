/**
 * A blob trigger `path` such as `images/{name}.{ext}`: the container to watch, the literal prefix
 * to list with, and the tokens bound from a blob name.
 *
 * Matching follows the WebJobs SDK's `BindingTemplateSource`: each `{token}` becomes a greedy `.*`
 * and the whole name must match, so `{name}.{ext}` on `a.b.csv` binds `a.b` and `csv`, and a token
 * may span `/` (`{folder}/{name}` on `a/b/c` binds `a/b` and `c`). `{{` and `}}` are literal braces.
 */
export interface BlobPathPattern {
  container: string;
  /** The blob-name part up to the first token: what listing the container can filter on. */
  prefix: string;
  /** Tokens bound from a blob name, or undefined when the name does not fit the pattern. */
  match(blobName: string): Record<string, string> | undefined;
}

type Part = { literal: string } | { token: string };

export function parseBlobPath(path: string, functionName: string): BlobPathPattern {
  const trimmed = path.replace(/^\/+/, '');
  const slash = trimmed.indexOf('/');
  const container = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const blobPart = slash < 0 ? '' : trimmed.slice(slash + 1);
  if (!container || /[{}%]/.test(container)) {
    throw new Error(`Function ${functionName}: blob trigger path "${path}" must start with a literal container name (container/{name}).`);
  }
  const parts = parseTemplate(blobPart, path, functionName);
  const firstToken = parts.findIndex((p) => 'token' in p);
  const literalHead = firstToken < 0 ? parts : parts.slice(0, firstToken);
  const tokens = parts.flatMap((p) => ('token' in p ? [p.token] : []));
  // A container alone ("samples") watches every blob in it.
  const source = parts.length === 0 ? '.*' : parts.map((p) => ('token' in p ? '(.*)' : escapeRegExp(p.literal))).join('');
  const regex = new RegExp(`^${source}$`, 's');
  return {
    container,
    prefix: literalHead.map((p) => ('literal' in p ? p.literal : '')).join(''),
    match(blobName) {
      const m = regex.exec(blobName);
      if (!m) return undefined;
      return Object.fromEntries(tokens.map((t, i) => [t, m[i + 1] ?? '']));
    },
  };
}

function parseTemplate(template: string, path: string, functionName: string): Part[] {
  const parts: Part[] = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    const next = template[i + 1];
    if ((c === '{' && next === '{') || (c === '}' && next === '}')) {
      literal += c;
      i++;
    } else if (c === '{') {
      const end = template.indexOf('}', i);
      const name = end < 0 ? '' : template.slice(i + 1, end);
      if (!/^[A-Za-z_][\w-]*$/.test(name)) {
        throw new Error(`Function ${functionName}: blob trigger path "${path}" has a malformed token near "${template.slice(i)}".`);
      }
      if (literal) parts.push({ literal });
      literal = '';
      parts.push({ token: name });
      i = end;
    } else if (c === '}') {
      throw new Error(`Function ${functionName}: blob trigger path "${path}" has an unmatched "}" (write "}}" for a literal brace).`);
    } else {
      literal += c;
    }
  }
  if (literal) parts.push({ literal });
  return parts;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
