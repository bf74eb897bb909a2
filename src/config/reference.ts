// The Go reference server's configuration, understood or refused by name: its FORWARDING_*
// variables and its JSON config file (`-config FILE`). Everything maps onto our schema; what our
// gateway cannot do is a ConfigError that says what to use instead, never silently dropped.
import { ConfigError } from './errors.js';
import { attemptsFromRetries, goDuration, routesFromReferenceTargets, routesFromTargetsVariable, type RouteInput } from './reference-targets.js';
import { parseDuration } from './units.js';

/** The reference's forwarding knobs and the variable of ours that is the same setting. */
const FORWARDING_VARIABLES = [
  { variable: 'FORWARDING_RETRY_ATTEMPTS', ours: 'FORWARD_MAX_ATTEMPTS', path: ['retry', 'maxAttempts'], kind: 'retries' },
  { variable: 'FORWARDING_TIMEOUT', ours: 'FORWARD_TIMEOUT', path: ['timeout'], kind: 'duration' },
  { variable: 'FORWARDING_BUFFER_SIZE', ours: 'FORWARD_QUEUE_SIZE', path: ['queueSize'], kind: 'count' },
  { variable: 'FORWARDING_WORKERS', ours: 'FORWARD_CONCURRENCY', path: ['concurrency'], kind: 'count' },
] as const;

export interface ReferenceSettings {
  /** A partial config (forwarding.*) to merge under our own variables. */
  values: Record<string, unknown>;
  /** Config path to the variable that set it, for error messages. */
  sources: Map<string, string>;
  /** Routes from FORWARDING_TARGETS, added to the file's. */
  routes: RouteInput[];
  /** FORWARDING_ENABLED as given; false means no forwarding may be configured at all. */
  enabled: boolean | undefined;
}

function wholeNumber(variable: string, raw: string): number {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(variable, `expected a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw.trim());
}

function enabledFlag(raw: string | undefined): boolean | undefined {
  if (raw === undefined || raw === '') return undefined;
  // The values Go's reference accepts.
  if (/^(true|1|yes|on)$/i.test(raw.trim())) return true;
  if (/^(false|0|no|off)$/i.test(raw.trim())) return false;
  throw new ConfigError('FORWARDING_ENABLED', `expected true or false, got ${JSON.stringify(raw)}`);
}

/** The reference's FORWARDING_* variables. */
export function readReferenceEnv(env: NodeJS.ProcessEnv): ReferenceSettings {
  const enabled = enabledFlag(env.FORWARDING_ENABLED);
  const set = (name: string) => env[name] !== undefined && env[name] !== '';
  const forwarding: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  const needsEnabled = (variable: string) => {
    if (enabled !== true) {
      throw new ConfigError(
        variable,
        `is set but FORWARDING_ENABLED is not true (the reference server ignores it then); set FORWARDING_ENABLED=true, or unset ${variable}`,
      );
    }
  };
  for (const setting of FORWARDING_VARIABLES) {
    const raw = env[setting.variable];
    if (raw === undefined || raw === '') continue;
    needsEnabled(setting.variable);
    if (set(setting.ours)) throw new ConfigError(setting.variable, `${setting.ours} is the same setting and is set too; set only one of them`);
    let value: number;
    if (setting.kind === 'duration') {
      const ms = parseDuration(raw);
      if (ms === undefined || /^\s*\d+\s*$/.test(raw))
        throw new ConfigError(setting.variable, `expected a Go duration such as 30s or 1m30s, got ${JSON.stringify(raw)}`);
      value = ms;
    } else if (setting.kind === 'retries') {
      value = attemptsFromRetries(wholeNumber(setting.variable, raw), setting.variable);
    } else {
      value = wholeNumber(setting.variable, raw);
    }
    let node = forwarding;
    for (const key of setting.path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[setting.path.at(-1)!] = value;
    sources.set(['forwarding', ...setting.path].join('.'), setting.variable);
  }
  let routes: RouteInput[] = [];
  const targets = env.FORWARDING_TARGETS;
  if (targets !== undefined && targets.trim() !== '') {
    needsEnabled('FORWARDING_TARGETS');
    routes = routesFromTargetsVariable(targets);
  }
  return { values: Object.keys(forwarding).length > 0 ? { forwarding } : {}, sources, routes, enabled };
}

/** Top-level keys of the reference's JSON config file (Go matches them case-insensitively). */
const REFERENCE_KEYS: Record<string, (value: unknown, into: Record<string, any>, path: string) => void> = {
  httpport: (v, c) => ((c.server ??= {}).httpPort = v),
  grpcport: (v, c) => ((c.server ??= {}).grpcPort = v),
  healthcheckport: (v, c) => ((c.server ??= {}).healthPort = v),
  loglevel: (v, c) => (c.logLevel = v),
  forwardto: (v, c) => {
    if (v !== null && !(Array.isArray(v) && v.length === 0)) (c.forwarding ??= {}).targets = v;
  },
  forwardtimeout: (v, c, path) => ((c.forwarding ??= {}).timeout = goDuration(v, path)),
  maxeventsize: (v, c) => ((c.limits ??= {}).maxEventSize = v),
  buffersize: (v, c) => ((c.limits ??= {}).bufferSize = v),
  maxconnections: (v, c) => ((c.limits ??= {}).maxConnections = v),
  // The version the reference reports for itself; ours reports its own build.
  version: () => {},
};

const REFERENCE_FORWARDING_KEYS = ['enabled', 'default_retry_attempts', 'default_timeout', 'buffer_size', 'workers', 'rules'];

/** True when a config file is written in the reference's shape rather than ours. */
export function isReferenceFile(file: Record<string, unknown>): boolean {
  const forwarding = file.forwarding;
  return (
    Object.keys(file).some((key) => key !== 'logLevel' && key !== 'forwarding' && key.toLowerCase() in REFERENCE_KEYS) ||
    (typeof forwarding === 'object' && forwarding !== null && REFERENCE_FORWARDING_KEYS.some((key) => key in forwarding))
  );
}

/**
 * The reference's JSON config file in our schema's shape (our loader validates it after). Its
 * forwarding targets become routes; `Version` is accepted and not used.
 */
export function fromReferenceFile(file: Record<string, unknown>, path: string): { config: Record<string, unknown>; enabled: boolean | undefined } {
  const config: Record<string, any> = {};
  const fail = (key: string, problem: string): never => {
    throw new ConfigError(`${path}: ${key}`, problem);
  };
  let enabled: boolean | undefined;
  for (const [key, value] of Object.entries(file)) {
    const lower = key.toLowerCase();
    if (lower === 'forwarding') {
      if (value === null || value === undefined) continue;
      if (typeof value !== 'object' || Array.isArray(value)) fail(key, 'expected an object');
      enabled = forwardingSection(value as Record<string, unknown>, config, `${path}: forwarding`);
      continue;
    }
    const apply = REFERENCE_KEYS[lower];
    if (!apply) {
      fail(
        key,
        `unknown key in a file in the reference server's format (expected HTTPPort, GRPCPort, HealthCheckPort, LogLevel, ForwardTo, ForwardTimeout, MaxEventSize, BufferSize, MaxConnections, Version, forwarding); do not mix it with this gateway's own keys`,
      );
    }
    apply!(value, config, `${path}: ${key}`);
  }
  return { config, enabled };
}

function forwardingSection(section: Record<string, unknown>, config: Record<string, any>, path: string): boolean {
  const at = (key: string) => `${path}.${key}`;
  const known = ['enabled', 'default_retry_attempts', 'default_timeout', 'buffer_size', 'workers', 'targets', 'rules'];
  for (const key of Object.keys(section)) {
    if (!known.includes(key)) throw new ConfigError(`${path}.${key}`, `unknown key (expected ${known.join(', ')})`);
  }
  const enabled = section.enabled === true;
  if (Array.isArray(section.rules) && section.rules.length > 0) {
    throw new ConfigError(
      `${path}.rules`,
      "global rules (drop, transform) are not supported; match events per target, or with routes[] in this gateway's own format",
    );
  }
  const routes = routesFromReferenceTargets(section.targets, `${path}.targets`);
  if (!enabled) {
    // The reference starts no forwarder then: its targets and knobs have no effect.
    if (routes.length > 0)
      throw new ConfigError(
        `${path}.targets`,
        'forwarding.enabled is not true, so the reference ignores these targets; set "enabled": true or remove them',
      );
    return false;
  }
  const forwarding = (config.forwarding ??= {});
  if (typeof section.default_retry_attempts === 'number')
    forwarding.retry = { maxAttempts: attemptsFromRetries(section.default_retry_attempts, at('default_retry_attempts')) };
  if (section.default_timeout !== undefined && section.default_timeout !== 0)
    forwarding.timeout = goDuration(section.default_timeout, at('default_timeout'));
  if (typeof section.buffer_size === 'number' && section.buffer_size > 0) forwarding.queueSize = section.buffer_size;
  if (typeof section.workers === 'number' && section.workers > 0) forwarding.concurrency = section.workers;
  if (routes.length > 0) config.routes = routes;
  return true;
}

/** FORWARDING_ENABLED=false (or a file's `enabled: false`): nothing may be set up to forward. */
export function checkForwardingDisabled(config: { forwarding?: { targets?: unknown[] }; routes?: unknown[] }, setting: string): void {
  const peers = config.forwarding?.targets?.length ?? 0;
  const routes = config.routes?.length ?? 0;
  if (peers + routes > 0) {
    throw new ConfigError(
      setting,
      `forwarding is disabled, but ${peers} peer(s) (FORWARD_TO / forwarding.targets) and ${routes} route(s) are configured; remove them or unset ${setting}`,
    );
  }
}
