// Event type filters for subscribers: exact names and prefix globs ("document.*", "*").

export type TypeFilter = (eventType: string) => boolean;

export const MATCH_ALL: TypeFilter = () => true;

/** Returns the problem with a pattern, or undefined when it is usable. */
export function checkTypePattern(pattern: string): string | undefined {
  if (pattern === '') return 'must not be empty';
  if (pattern.length > MAX_PATTERN_LENGTH) return `must be at most ${MAX_PATTERN_LENGTH} characters`;
  const star = pattern.indexOf('*');
  if (star !== -1 && star !== pattern.length - 1) return `${JSON.stringify(pattern)}: "*" may only end a pattern (prefix glob)`;
  // A pattern no event type could match is a mistake, not a filter that waits forever.
  const prefix = star === -1 ? pattern : pattern.slice(0, -1);
  if (prefix !== '' && !PATTERN_TEXT.test(prefix)) {
    return `${JSON.stringify(pattern)}: may hold only letters, digits and . _ - : / (event type characters), and a final "*"`;
  }
  return undefined;
}

/** The event type alphabet (src/event/validate.ts), so a pattern can match something. */
const PATTERN_TEXT = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;
const MAX_PATTERN_LENGTH = 256;

/** Compiles patterns into one predicate; an empty list matches every type. */
export function compileTypeFilter(patterns: readonly string[]): TypeFilter {
  if (patterns.length === 0) return MATCH_ALL;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const pattern of patterns) {
    if (pattern === '*') return MATCH_ALL;
    if (pattern.endsWith('*')) prefixes.push(pattern.slice(0, -1));
    else exact.add(pattern);
  }
  if (prefixes.length === 0) return (type) => exact.has(type);
  return (type) => {
    if (exact.has(type)) return true;
    for (const prefix of prefixes) if (type.startsWith(prefix)) return true;
    return false;
  };
}
