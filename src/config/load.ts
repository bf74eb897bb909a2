// Loads the gateway configuration: YAML file (optional; our schema, or the Go reference server's
// JSON format), then environment overrides (ours, and the reference's FORWARDING_* variables),
// then the schema. Any problem becomes a ConfigError that names the setting and what it expected.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.js';
import { readEnvOverrides } from './env.js';
import { checkForwardingDisabled, fromReferenceFile, isReferenceFile, readReferenceEnv } from './reference.js';
import { gatewayConfigSchema, type GatewayConfig } from './schema.js';

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of the YAML config file; defaults to CONFIG_FILE from the environment. */
  file?: string | undefined;
}

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('CONFIG_FILE', `cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError('CONFIG_FILE', `${path} is not valid YAML: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('CONFIG_FILE', `${path} must hold a mapping at the top level`);
  }
  return parsed as Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge where `over` wins; arrays are replaced, not concatenated. */
export function mergeConfig(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeConfig(current, value) : value;
  }
  return merged;
}

/** Validates a config object (file or rendered), naming the setting of the first problem. */
export function parseConfig(input: unknown, sources: Map<string, string> = new Map()): GatewayConfig {
  const result = gatewayConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String);
  throw new ConfigError(settingName(path, sources), issue.message);
}

/** The environment variable that set this path (or a parent of it, for list items), else the path. */
function settingName(path: string[], sources: Map<string, string>): string {
  for (let length = path.length; length > 0; length--) {
    const variable = sources.get(path.slice(0, length).join('.'));
    if (variable) return length === path.length ? variable : `${variable} (${path.slice(length).join('.')})`;
  }
  return path.length === 0 ? 'config' : path.join('.');
}

export function loadConfig(options: LoadOptions = {}): GatewayConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env.CONFIG_FILE;
  let fromFile = file ? readConfigFile(file) : {};
  let fileEnabled: boolean | undefined;
  if (file && isReferenceFile(fromFile)) ({ config: fromFile, enabled: fileEnabled } = fromReferenceFile(fromFile, file));
  const overrides = readEnvOverrides(env);
  const reference = readReferenceEnv(env);
  const merged = mergeConfig(mergeConfig(fromFile, reference.values), overrides.values);
  if (reference.routes.length > 0) {
    const routes = Array.isArray(merged.routes) ? (merged.routes as { name?: unknown }[]) : [];
    const clash = reference.routes.find((route) => routes.some((r) => r.name === route.name));
    if (clash)
      throw new ConfigError(
        'FORWARDING_TARGETS',
        `target id ${JSON.stringify(clash.name)} is also the name of a route in ${file}; ids and route names must differ`,
      );
    merged.routes = [...routes, ...reference.routes];
  }
  const enabled = reference.enabled ?? fileEnabled;
  if (enabled === false) checkForwardingDisabled(merged, reference.enabled === false ? 'FORWARDING_ENABLED' : `${file}: forwarding.enabled`);
  const sources = new Map([...reference.sources, ...overrides.sources]);
  return parseConfig(merged, sources);
}
