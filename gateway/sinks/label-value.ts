// Event types, sources, routes and targets as Kubernetes label values, so that a label selector
// (Argo's `resource` EventSource, kubectl -l) can pick the gateway's Events on the server side.
//
// The mapping, documented in config/argo/README.md:
// - A text that is already a valid label value (at most 63 characters of A-Z a-z 0-9 . _ -,
//   starting and ending with a letter or digit) is used as it is: `document.uploaded` stays
//   `document.uploaded`, so the common case is selected by its own name.
// - Any other text becomes `<readable prefix>-<hash>`: runs of other characters (`:` `/`, spaces,
//   non-ASCII) turn into one `_`, the result is cut to 52 characters and trimmed to start and end
//   with a letter or digit, and `-` plus the first 10 hex digits of the SHA-256 of the original
//   text (UTF-8) is appended. Two different texts therefore never share a rewritten value, also
//   when they differ only past character 63 or only in the characters that were replaced.
// The exact original travels in an annotation of the same name (see kubernetes-events.ts).
import { createHash } from 'node:crypto';

export const MAX_LABEL_VALUE_LENGTH = 63;
export const LABEL_HASH_LENGTH = 10;
const PREFIX_LENGTH = MAX_LABEL_VALUE_LENGTH - LABEL_HASH_LENGTH - 1;
const VALID_LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

export function isValidLabelValue(text: string): boolean {
  return text.length <= MAX_LABEL_VALUE_LENGTH && VALID_LABEL_VALUE.test(text);
}

/** Any text as a label value that stands for it alone (see the mapping above). */
export function labelValue(text: string): string {
  if (isValidLabelValue(text)) return text;
  const hash = createHash('sha256').update(text, 'utf8').digest('hex').slice(0, LABEL_HASH_LENGTH);
  const prefix = text
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(0, PREFIX_LENGTH)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
  return prefix === '' ? hash : `${prefix}-${hash}`;
}
