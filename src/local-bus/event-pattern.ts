/**
 * EventBridge event patterns, evaluated locally so the rules read from serverless.yml route
 * `POST /events` exactly as they route PutEvents on AWS.
 *
 * A pattern is an object whose leaves are arrays of matchers; an event matches when every pattern field
 * matches (fields the pattern does not name are ignored), and a leaf matches when any of its matchers
 * matches the event's value (or any element, when the value is an array). Matchers: literals (string,
 * number, boolean, null), `{prefix}`, `{suffix}`, `{"equals-ignore-case"}`, `{"anything-but": x | [x…]}`,
 * `{exists: bool}`, `{numeric: [op, n, …]}`, `{wildcard}`.
 */
type Matcher = unknown;

export function matchesPattern(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  for (const [field, expected] of Object.entries(pattern)) {
    const value = event[field];
    if (Array.isArray(expected)) {
      if (!leafMatches(expected, value, field in event)) return false;
    } else if (expected && typeof expected === 'object') {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
      if (!matchesPattern(expected as Record<string, unknown>, value as Record<string, unknown>))
        return false;
    } else {
      throw new Error(`event pattern field ${field} must be an array of matchers or an object`);
    }
  }
  return true;
}

function leafMatches(matchers: Matcher[], value: unknown, present: boolean): boolean {
  const values = Array.isArray(value) ? value : [value];
  return matchers.some((matcher) => {
    if (matcher && typeof matcher === 'object' && 'exists' in matcher)
      return (matcher as { exists: boolean }).exists === present;
    if (!present) return false;
    return values.some((v) => matcherMatches(matcher, v));
  });
}

function matcherMatches(matcher: Matcher, value: unknown): boolean {
  if (matcher === null || typeof matcher !== 'object') return matcher === value;
  const m = matcher as Record<string, unknown>;
  if ('prefix' in m) return typeof value === 'string' && value.startsWith(String(m.prefix));
  if ('suffix' in m) return typeof value === 'string' && value.endsWith(String(m.suffix));
  if ('equals-ignore-case' in m) {
    return typeof value === 'string' && value.toLowerCase() === String(m['equals-ignore-case']).toLowerCase();
  }
  if ('wildcard' in m) {
    const regex = new RegExp(`^${String(m.wildcard).split('*').map(escapeRegex).join('.*')}$`);
    return typeof value === 'string' && regex.test(value);
  }
  if ('anything-but' in m) {
    const excluded = m['anything-but'];
    if (Array.isArray(excluded)) return !excluded.includes(value);
    if (excluded && typeof excluded === 'object') return !matcherMatches(excluded, value);
    return value !== excluded;
  }
  if ('numeric' in m && Array.isArray(m.numeric)) {
    if (typeof value !== 'number') return false;
    const conditions = m.numeric;
    for (let i = 0; i + 1 < conditions.length; i += 2) {
      const op = conditions[i];
      const bound = Number(conditions[i + 1]);
      const ok =
        op === '='
          ? value === bound
          : op === '<'
            ? value < bound
            : op === '<='
              ? value <= bound
              : op === '>'
                ? value > bound
                : op === '>='
                  ? value >= bound
                  : false;
      if (!ok) return false;
    }
    return true;
  }
  return false;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
