export { ConfigError } from './errors.js';
export { ENV_SETTINGS, readEnvOverrides } from './env.js';
export { loadConfig, parseConfig, mergeConfig, readConfigFile } from './load.js';
export { defaultTargetId, gatewayConfigSchema, LOG_LEVELS, type GatewayConfig, type GatewayConfigInput } from './schema.js';
export { parseBytes, parseDuration } from './units.js';
