// Forwarding targets as the Go reference server writes them (FORWARDING_TARGETS, or
// forwarding.targets of its JSON config file), turned into routes of our schema: one route per
// target, named by its id, matching what its rules match. What a route cannot express (kafka
// targets, transforms, rate limits, conditions on data, extra headers...) is refused by name,
// never dropped.
import { ConfigError } from './errors.js';
import { parseDuration } from './units.js';

/** A route in the config file's shape (GatewayConfigInput['routes'][number]). */
export interface RouteInput {
  name: string;
  match: { eventTypes: string[]; sources: string[]; metadata: Record<string, string> };
  targets: { url: string; format: 'mcp' }[];
  delivery: { timeout?: number; retry?: { maxAttempts?: number; initialBackoff?: number } };
}

type Json = Record<string, unknown>;

/** Where in the input a problem is, named like a setting: `FORWARDING_TARGETS[1].rules[0]`. */
export class At {
  constructor(readonly path: string) {}

  child(key: string | number): At {
    return new At(typeof key === 'number' ? `${this.path}[${key}]` : `${this.path}.${key}`);
  }

  fail(problem: string): never {
    throw new ConfigError(this.path, problem);
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Go's zero values (absent, null, "", 0, false, [], {}) mean "not set" in the reference's JSON. */
function isUnset(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isObject(value) && Object.keys(value).length === 0;
}

function onlyKeys(value: Json, at: At, allowed: readonly string[], refused: Record<string, string> = {}): void {
  for (const [key, field] of Object.entries(value)) {
    const why = refused[key];
    if (why !== undefined) {
      if (!isUnset(field)) at.child(key).fail(why);
      continue;
    }
    if (!allowed.includes(key)) at.child(key).fail(`unknown key (expected ${[...allowed, ...Object.keys(refused)].join(', ')})`);
  }
}

function text(value: unknown, at: At): string {
  if (typeof value !== 'string' || value === '') at.fail(`expected a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * A Go time.Duration from the reference's JSON: a number is nanoseconds (how Go encodes it); a
 * string such as "15s" is taken too (the reference's own examples write them, though Go cannot
 * read them). Milliseconds out.
 */
export function goDuration(value: unknown, at: At | string): number {
  const where: At = at instanceof At ? at : new At(at);
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.round(value / 1e6);
  if (typeof value === 'string') {
    const ms = parseDuration(value);
    if (ms !== undefined && value.trim() !== '' && !/^\d+$/.test(value.trim())) return ms;
  }
  return where.fail(`expected a duration such as "15s" or nanoseconds (a number), got ${JSON.stringify(value)}`);
}

/** The reference's "retry attempts" are retries after the first attempt; ours count the first. */
export function attemptsFromRetries(value: unknown, at: At | string): number {
  const where: At = at instanceof At ? at : new At(at);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 99) {
    return where.fail(`expected a whole number of retries from 0 to 99, got ${JSON.stringify(value)}`);
  }
  return value + 1;
}

const SUPPORTED_CONDITIONS =
  'supported: event_type or source with "eq" or "in", metadata.<key> with "eq" (and "ne" "" on event_type or source, which every event passes)';

interface Match {
  eventTypes?: string[];
  sources?: string[];
  metadata: Record<string, string>;
}

function values(condition: Json, at: At): string[] {
  const { operator, value } = condition;
  const list = operator === 'eq' ? [value] : operator === 'in' && Array.isArray(value) ? value : undefined;
  if (list === undefined || list.length === 0)
    at.fail(`operator ${JSON.stringify(operator)} with value ${JSON.stringify(value)} cannot be a route match (${SUPPORTED_CONDITIONS})`);
  return list.map((item, i) => {
    if (typeof item !== 'string' || item === '') at.child('value').fail(`expected non-empty strings, got ${JSON.stringify(item)} at ${i}`);
    // Our event type matches read `*` as a glob; the reference compared it literally.
    if (item.includes('*')) at.child('value').fail(`${JSON.stringify(item)}: a literal * cannot be matched (routes read it as a glob)`);
    return item;
  });
}

/** The conditions of one rule, all of which must hold (AND), as one route match. */
function ruleMatch(rule: Json, at: At): Match {
  const match: Match = { metadata: {} };
  const conditions = rule.conditions ?? [];
  if (!Array.isArray(conditions)) return at.child('conditions').fail('expected an array of conditions');
  conditions.forEach((raw, i) => {
    const here = at.child('conditions').child(i);
    if (!isObject(raw)) here.fail('expected an object {field, operator, value}');
    onlyKeys(raw, here, ['field', 'operator', 'value', 'negate']);
    if (raw.negate === true) here.child('negate').fail(`a negated condition cannot be a route match (${SUPPORTED_CONDITIONS})`);
    const field = text(raw.field, here.child('field'));
    if ((field === 'event_type' || field === 'source') && raw.operator === 'ne' && raw.value === '') return;
    const key = field === 'event_type' ? 'eventTypes' : field === 'source' ? 'sources' : undefined;
    if (key) {
      if (match[key]) here.fail(`a second condition on ${field} cannot be a route match (use one "in" condition)`);
      match[key] = values(raw, here);
      return;
    }
    if (field.startsWith('metadata.') && field.length > 'metadata.'.length && raw.operator === 'eq' && typeof raw.value === 'string') {
      const name = field.slice('metadata.'.length);
      if (match.metadata[name] !== undefined) here.fail(`a second condition on ${field} cannot be a route match`);
      match.metadata[name] = raw.value;
      return;
    }
    here.fail(`field ${JSON.stringify(field)} with operator ${JSON.stringify(raw.operator)} cannot be a route match (${SUPPORTED_CONDITIONS})`);
  });
  return match;
}

/**
 * The enabled rules of a target (any of which forwards an event: OR) as one match. One rule maps
 * as it is; several only when each is a single condition on the same field, whose values are
 * then pooled. No rules at all forwards everything, as in the reference.
 */
function targetMatch(rules: unknown, at: At): Match {
  if (rules === undefined || rules === null) return { metadata: {} };
  if (!Array.isArray(rules)) at.fail('expected an array of rules');
  if (rules.length === 0) return { metadata: {} };
  const enabled: Match[] = [];
  rules.forEach((rule, i) => {
    const here = at.child(i);
    if (!isObject(rule)) here.fail('expected an object');
    onlyKeys(rule, here, ['id', 'name', 'enabled', 'priority', 'conditions', 'metadata'], {
      transform: 'transforms are not supported; forward the event as it is, or transform it at the receiver',
      rate_limit: 'per-rule rate limits are not supported; use RATE_LIMIT_EVENTS_PER_SECOND (ingest) instead',
    });
    // Go's zero value: a rule without "enabled": true is skipped by the reference.
    if (rule.enabled === true) enabled.push(ruleMatch(rule, here));
  });
  if (enabled.length === 0)
    at.fail('no rule has "enabled": true, so the reference forwards nothing to this target; enable a rule or remove the target');
  if (enabled.length === 1) return enabled[0]!;
  // A rule without conditions passes every event, and so does their OR.
  if (enabled.some((m) => !m.eventTypes && !m.sources && Object.keys(m.metadata).length === 0)) return { metadata: {} };
  const kindOf = (m: Match) =>
    Object.keys(m.metadata).length > 0 || (m.eventTypes && m.sources) ? undefined : m.eventTypes ? 'eventTypes' : 'sources';
  const kinds = new Set(enabled.map(kindOf));
  if (kinds.size !== 1 || kinds.has(undefined)) {
    at.fail(
      'several enabled rules can be one route only when each is a single event_type (or each a single source) condition; write routes[] in a config file instead',
    );
  }
  const kind = [...kinds][0] as 'eventTypes' | 'sources';
  return { [kind]: [...new Set(enabled.flatMap((m) => m[kind]!))], metadata: {} };
}

function targetUrl(target: Json, at: At): string {
  const type = text(target.type, at.child('type'));
  const endpoint = text(target.endpoint, at.child('endpoint'));
  switch (type) {
    case 'grpc': {
      const url = endpoint.startsWith('grpc://') ? endpoint : `grpc://${endpoint}`;
      if (!/^grpc:\/\/[^\s/]+$/.test(url)) at.child('endpoint').fail(`expected host:port for a grpc target, got ${JSON.stringify(endpoint)}`);
      return url;
    }
    case 'http':
    case 'webhook':
      if (!/^https?:\/\/[^\s/]+/.test(endpoint)) at.child('endpoint').fail(`expected an http:// or https:// URL, got ${JSON.stringify(endpoint)}`);
      return endpoint;
    case 'kafka':
      return at.child('type').fail('kafka targets are not supported; forward to an http(s) or grpc target');
    case 'argo-events':
      return at
        .child('type')
        .fail(
          'argo-events targets are not supported as such; use an http target to the webhook EventSource with format: cloudevents (a route in the config file)',
        );
    default:
      return at.child('type').fail(`expected grpc, http or webhook, got ${JSON.stringify(type)}`);
  }
}

function delivery(config: unknown, at: At): RouteInput['delivery'] {
  if (config === undefined || config === null) return {};
  if (!isObject(config)) at.fail('expected an object');
  onlyKeys(config, at, ['timeout', 'retry_attempts', 'retry_delay', 'headers'], {
    health_check_url: 'health checks are not supported; a failing target opens its circuit breaker (FORWARD_BREAKER_THRESHOLD)',
    authentication: 'per-target credentials are not supported',
    batch_size: 'per-target batching is not supported',
    batch_timeout: 'per-target batching is not supported',
  });
  const headers = config.headers ?? {};
  if (!isObject(headers)) at.child('headers').fail('expected an object of header names and values');
  for (const [name, value] of Object.entries(headers)) {
    // The one header every target gets anyway: our forwarder sends JSON with this content type.
    if (name.toLowerCase() === 'content-type' && typeof value === 'string' && /^application\/json\b/i.test(value)) continue;
    at.child('headers').child(name).fail('per-target headers are not supported (only Content-Type: application/json, which every target gets)');
  }
  const result: RouteInput['delivery'] = {};
  if (!isUnset(config.timeout)) result.timeout = goDuration(config.timeout, at.child('timeout'));
  const retry: NonNullable<RouteInput['delivery']['retry']> = {};
  if (config.retry_attempts !== undefined && config.retry_attempts !== null)
    retry.maxAttempts = attemptsFromRetries(config.retry_attempts, at.child('retry_attempts'));
  if (!isUnset(config.retry_delay)) retry.initialBackoff = goDuration(config.retry_delay, at.child('retry_delay'));
  if (Object.keys(retry).length > 0) result.retry = retry;
  return result;
}

/** The reference's target list (parsed JSON) as routes; `path` names it in errors. */
export function routesFromReferenceTargets(targets: unknown, path: string): RouteInput[] {
  const at = new At(path);
  if (targets === undefined || targets === null) return [];
  if (!Array.isArray(targets)) return at.fail('expected a JSON array of targets');
  const ids = new Set<string>();
  return targets.map((target, i) => {
    const here = at.child(i);
    if (!isObject(target)) here.fail('expected an object {id, name, type, endpoint, config, rules}');
    // status, metrics and the like appear in GET /forwarding/targets answers; they are state, not settings.
    onlyKeys(target, here, ['id', 'name', 'type', 'endpoint', 'config', 'rules', 'status', 'last_healthy', 'last_error', 'error_count', 'metrics']);
    const id = text(target.id, here.child('id'));
    if (id.length > 256) here.child('id').fail('must be at most 256 characters');
    if (ids.has(id)) here.child('id').fail(`${JSON.stringify(id)} is used by an earlier target`);
    ids.add(id);
    const url = targetUrl(target, here);
    const match = targetMatch(target.rules, here.child('rules'));
    return {
      name: id,
      match: { eventTypes: match.eventTypes ?? [], sources: match.sources ?? [], metadata: match.metadata },
      targets: [{ url, format: 'mcp' as const }],
      delivery: delivery(target.config, here.child('config')),
    };
  });
}

/** FORWARDING_TARGETS: JSON text holding the reference's target list. */
export function routesFromTargetsVariable(raw: string): RouteInput[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError('FORWARDING_TARGETS', `not valid JSON: ${(error as Error).message}`);
  }
  return routesFromReferenceTargets(parsed, 'FORWARDING_TARGETS');
}
