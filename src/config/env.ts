// Environment variables of seed 000 (and a few more), mapped onto the config file's paths.
// Environment overrides the file; a value that does not parse names its variable.
import { ConfigError } from './errors.js';

type Kind = 'integer' | 'number' | 'boolean' | 'text' | 'list';

interface EnvSetting {
  variable: string;
  path: readonly string[];
  kind: Kind;
}

export const ENV_SETTINGS: readonly EnvSetting[] = [
  { variable: 'HTTP_PORT', path: ['server', 'httpPort'], kind: 'integer' },
  { variable: 'GRPC_PORT', path: ['server', 'grpcPort'], kind: 'integer' },
  { variable: 'HEALTH_CHECK_PORT', path: ['server', 'healthPort'], kind: 'integer' },
  { variable: 'BIND_HOST', path: ['server', 'host'], kind: 'text' },
  { variable: 'CORS_ALLOWED_ORIGINS', path: ['server', 'cors', 'allowedOrigins'], kind: 'list' },
  { variable: 'CORS_MAX_AGE', path: ['server', 'cors', 'maxAge'], kind: 'text' },
  { variable: 'LOG_LEVEL', path: ['logLevel'], kind: 'text' },
  { variable: 'FORWARD_TO', path: ['forwarding', 'targets'], kind: 'list' },
  { variable: 'GATEWAY_ID', path: ['identity', 'id'], kind: 'text' },
  { variable: 'POD_NAME', path: ['identity', 'instance'], kind: 'text' },
  { variable: 'KUBERNETES_EVENTS', path: ['kubernetesEvents', 'enabled'], kind: 'boolean' },
  { variable: 'MCP_SERVER_NAME', path: ['kubernetesEvents', 'regarding', 'name'], kind: 'text' },
  { variable: 'POD_NAMESPACE', path: ['kubernetesEvents', 'regarding', 'namespace'], kind: 'text' },
  { variable: 'DEAD_LETTER_URL', path: ['forwarding', 'deadLetter', 'url'], kind: 'text' },
  { variable: 'FORWARD_MAX_ATTEMPTS', path: ['forwarding', 'retry', 'maxAttempts'], kind: 'integer' },
  { variable: 'FORWARD_INITIAL_BACKOFF', path: ['forwarding', 'retry', 'initialBackoff'], kind: 'text' },
  { variable: 'FORWARD_MAX_BACKOFF', path: ['forwarding', 'retry', 'maxBackoff'], kind: 'text' },
  { variable: 'FORWARD_RETRY_ON', path: ['forwarding', 'retry', 'retryOn'], kind: 'list' },
  { variable: 'FORWARD_QUEUE_SIZE', path: ['forwarding', 'queueSize'], kind: 'integer' },
  { variable: 'FORWARD_CONCURRENCY', path: ['forwarding', 'concurrency'], kind: 'integer' },
  { variable: 'FORWARD_BATCH_MAX_EVENTS', path: ['forwarding', 'batch', 'maxEvents'], kind: 'integer' },
  { variable: 'FORWARD_BATCH_MAX_BYTES', path: ['forwarding', 'batch', 'maxBytes'], kind: 'text' },
  { variable: 'FORWARD_MAX_HOPS', path: ['forwarding', 'maxHops'], kind: 'integer' },
  { variable: 'DEDUPE_SIZE', path: ['forwarding', 'dedupe', 'size'], kind: 'integer' },
  { variable: 'DEDUPE_TTL', path: ['forwarding', 'dedupe', 'ttl'], kind: 'text' },
  { variable: 'FORWARD_BREAKER_THRESHOLD', path: ['forwarding', 'circuitBreaker', 'failureThreshold'], kind: 'integer' },
  { variable: 'FORWARD_BREAKER_COOLDOWN', path: ['forwarding', 'circuitBreaker', 'cooldown'], kind: 'text' },
  { variable: 'FORWARD_TIMEOUT', path: ['forwarding', 'timeout'], kind: 'text' },
  { variable: 'MAX_EVENT_SIZE', path: ['limits', 'maxEventSize'], kind: 'text' },
  { variable: 'BUFFER_SIZE', path: ['limits', 'bufferSize'], kind: 'integer' },
  { variable: 'ADMISSION_WAIT', path: ['limits', 'admissionWait'], kind: 'text' },
  { variable: 'MAX_CONNECTIONS', path: ['limits', 'maxConnections'], kind: 'integer' },
  { variable: 'MAX_BATCH_SIZE', path: ['limits', 'maxBatchSize'], kind: 'integer' },
  { variable: 'MAX_BATCH_BYTES', path: ['limits', 'maxBatchBytes'], kind: 'text' },
  { variable: 'REQUEST_TIMEOUT', path: ['limits', 'requestTimeout'], kind: 'text' },
  { variable: 'SUBSCRIBER_QUEUE_SIZE', path: ['limits', 'subscriberQueueSize'], kind: 'integer' },
  { variable: 'RATE_LIMIT_EVENTS_PER_SECOND', path: ['limits', 'rateLimit', 'eventsPerSecond'], kind: 'number' },
  { variable: 'RATE_LIMIT_BURST', path: ['limits', 'rateLimit', 'burst'], kind: 'integer' },
  { variable: 'HISTORY_SIZE', path: ['history', 'size'], kind: 'integer' },
  { variable: 'HISTORY_RETENTION', path: ['history', 'retention'], kind: 'text' },
  { variable: 'SHUTDOWN_GRACE_PERIOD', path: ['shutdown', 'gracePeriod'], kind: 'text' },
  { variable: 'CLIENT_RATE_LIMIT_EVENTS_PER_SECOND', path: ['limits', 'clientRateLimit', 'eventsPerSecond'], kind: 'number' },
  { variable: 'CLIENT_RATE_LIMIT_BURST', path: ['limits', 'clientRateLimit', 'burst'], kind: 'integer' },
  { variable: 'CLIENT_RATE_LIMIT_MAX_CLIENTS', path: ['limits', 'clientRateLimit', 'maxClients'], kind: 'integer' },
  { variable: 'AUTH_MODE', path: ['auth', 'mode'], kind: 'text' },
  { variable: 'AUTH_API_KEYS_FILE', path: ['auth', 'apiKeys', 'file'], kind: 'text' },
  { variable: 'AUTH_RELOAD_INTERVAL', path: ['auth', 'reloadInterval'], kind: 'text' },
  { variable: 'AUTH_TENANT_CLAIM', path: ['auth', 'tenantClaim'], kind: 'text' },
  { variable: 'JWT_ISSUER', path: ['auth', 'jwt', 'issuer'], kind: 'text' },
  { variable: 'JWT_AUDIENCE', path: ['auth', 'jwt', 'audience'], kind: 'list' },
  { variable: 'JWT_JWKS_URL', path: ['auth', 'jwt', 'jwksUrl'], kind: 'text' },
  { variable: 'JWT_KEY_FILE', path: ['auth', 'jwt', 'keyFile'], kind: 'text' },
  { variable: 'JWT_CLOCK_SKEW', path: ['auth', 'jwt', 'clockSkew'], kind: 'text' },
  { variable: 'TLS_CERT_FILE', path: ['tls', 'certFile'], kind: 'text' },
  { variable: 'TLS_KEY_FILE', path: ['tls', 'keyFile'], kind: 'text' },
  { variable: 'TLS_CLIENT_CA_FILE', path: ['tls', 'clientCaFile'], kind: 'text' },
  { variable: 'TLS_RELOAD_INTERVAL', path: ['tls', 'reloadInterval'], kind: 'text' },
  { variable: 'FEDERATION_KEYS_FILE', path: ['federation', 'keysFile'], kind: 'text' },
  { variable: 'FEDERATION_SIGNING_KEY_ID', path: ['federation', 'signingKeyId'], kind: 'text' },
  { variable: 'FEDERATION_REQUIRE_SIGNATURES', path: ['federation', 'requireSignatures'], kind: 'boolean' },
  { variable: 'BUS', path: ['bus', 'type'], kind: 'text' },
  { variable: 'NATS_URL', path: ['bus', 'jetstream', 'urls'], kind: 'list' },
  { variable: 'NATS_TOKEN_FILE', path: ['bus', 'jetstream', 'credentials', 'tokenFile'], kind: 'text' },
  { variable: 'NATS_USER', path: ['bus', 'jetstream', 'credentials', 'user'], kind: 'text' },
  { variable: 'NATS_USER_FILE', path: ['bus', 'jetstream', 'credentials', 'userFile'], kind: 'text' },
  { variable: 'NATS_PASSWORD_FILE', path: ['bus', 'jetstream', 'credentials', 'passwordFile'], kind: 'text' },
  { variable: 'NATS_NKEY_SEED_FILE', path: ['bus', 'jetstream', 'credentials', 'nkeySeedFile'], kind: 'text' },
  { variable: 'NATS_CREDS_FILE', path: ['bus', 'jetstream', 'credentials', 'credsFile'], kind: 'text' },
  { variable: 'NATS_BASIC_AUTH_FILE', path: ['bus', 'jetstream', 'credentials', 'basicAuthFile'], kind: 'text' },
  { variable: 'NATS_CA_FILE', path: ['bus', 'jetstream', 'tls', 'caFile'], kind: 'text' },
  { variable: 'NATS_CERT_FILE', path: ['bus', 'jetstream', 'tls', 'certFile'], kind: 'text' },
  { variable: 'NATS_KEY_FILE', path: ['bus', 'jetstream', 'tls', 'keyFile'], kind: 'text' },
  { variable: 'NATS_STREAM', path: ['bus', 'jetstream', 'stream', 'name'], kind: 'text' },
  { variable: 'NATS_SUBJECT_PREFIX', path: ['bus', 'jetstream', 'stream', 'subjectPrefix'], kind: 'text' },
  { variable: 'NATS_STREAM_REPLICAS', path: ['bus', 'jetstream', 'stream', 'replicas'], kind: 'integer' },
  { variable: 'NATS_STREAM_STORAGE', path: ['bus', 'jetstream', 'stream', 'storage'], kind: 'text' },
  { variable: 'NATS_STREAM_MAX_AGE', path: ['bus', 'jetstream', 'stream', 'maxAge'], kind: 'text' },
  { variable: 'NATS_STREAM_MAX_BYTES', path: ['bus', 'jetstream', 'stream', 'maxBytes'], kind: 'text' },
  { variable: 'NATS_STREAM_MAX_MESSAGES', path: ['bus', 'jetstream', 'stream', 'maxMessages'], kind: 'integer' },
  { variable: 'NATS_DUPLICATE_WINDOW', path: ['bus', 'jetstream', 'stream', 'duplicateWindow'], kind: 'text' },
  { variable: 'NATS_PUBLISH_TIMEOUT', path: ['bus', 'jetstream', 'publishTimeout'], kind: 'text' },
  { variable: 'NATS_CONNECT_TIMEOUT', path: ['bus', 'jetstream', 'connectTimeout'], kind: 'text' },
  { variable: 'NATS_ACK_WAIT', path: ['bus', 'jetstream', 'ackWait'], kind: 'text' },
];

function convert(setting: EnvSetting, raw: string): unknown {
  const text = raw.trim();
  switch (setting.kind) {
    case 'integer':
      if (!/^-?\d+$/.test(text)) throw new ConfigError(setting.variable, `expected a whole number, got ${JSON.stringify(raw)}`);
      return Number(text);
    case 'number':
      if (text === '' || !Number.isFinite(Number(text))) {
        throw new ConfigError(setting.variable, `expected a number, got ${JSON.stringify(raw)}`);
      }
      return Number(text);
    case 'boolean':
      if (/^(true|1|yes)$/i.test(text)) return true;
      if (/^(false|0|no)$/i.test(text)) return false;
      throw new ConfigError(setting.variable, `expected true or false, got ${JSON.stringify(raw)}`);
    case 'list':
      return text === ''
        ? []
        : text
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item !== '');
    case 'text':
      return text;
  }
}

export interface EnvOverrides {
  /** A partial config object holding only what the environment set. */
  values: Record<string, unknown>;
  /** Config path ("limits.bufferSize") to the variable that set it, for error messages. */
  sources: Map<string, string>;
}

export function readEnvOverrides(env: NodeJS.ProcessEnv): EnvOverrides {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const setting of ENV_SETTINGS) {
    const raw = env[setting.variable];
    if (raw === undefined || raw === '') continue;
    let node = values;
    for (const key of setting.path.slice(0, -1)) {
      node = (node[key] ??= {}) as Record<string, unknown>;
    }
    node[setting.path.at(-1)!] = convert(setting, raw);
    sources.set(setting.path.join('.'), setting.variable);
  }
  return { values, sources };
}
