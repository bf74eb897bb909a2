// Operator settings from the environment; a bad value stops start-up naming the variable.
import { hostname } from 'node:os';
import { z } from 'zod';
import { LOG_LEVELS } from '../src/config/schema.js';
import { ConfigError } from '../src/config/errors.js';
import { parseDuration } from '../src/config/units.js';
import { VERSION } from '../src/version.js';

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 15s, got ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return ms;
});

const settingsSchema = z.object({
  KUBECONFIG: z.string().optional(),
  /** Comma-separated namespaces to watch; empty watches all. */
  WATCH_NAMESPACES: z
    .string()
    .default('')
    .transform((text) =>
      text
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== ''),
    )
    .pipe(z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected namespace names'))),
  GATEWAY_IMAGE: z.string().min(1).default(`tas-mcp/gateway:${VERSION}`),
  CLUSTER_DOMAIN: z.string().min(1).default('cluster.local'),
  LEADER_ELECT: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  LEADER_ELECTION_NAMESPACE: z.string().optional(),
  LEADER_ELECTION_ID: z.string().min(1).default('tas-mcp-operator'),
  /** client-go's defaults: 15s lease, renew within 10s, retry every 2s. */
  LEASE_DURATION: duration.default(15_000),
  RENEW_DEADLINE: duration.default(10_000),
  RETRY_PERIOD: duration.default(2_000),
  /** How often the Secrets an McpServer references are checked for changes. */
  SECRET_RECHECK: duration.default(60_000),
  /** How often, while Argo Events is not installed, the operator looks for its EventBus kind again. */
  EVENTBUS_RECHECK: duration.default(60_000),
  POD_NAME: z.string().min(1).default(hostname()),
  POD_NAMESPACE: z.string().optional(),
  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  BIND_HOST: z.string().default('0.0.0.0'),
  WORKERS: z.coerce.number().int().min(1).max(64).default(4),
  /** One reconcile's time; past it the reconcile is aborted and retried with backoff. */
  RECONCILE_TIMEOUT: duration.default(60_000),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  EVENTS_QPS: z.coerce.number().min(0.1).max(1000).default(5),
  EVENTS_BURST: z.coerce.number().int().min(1).max(10_000).default(25),
  /** The federation map's port (operator/federation-map); unset: no map. 0: any free port. */
  MAP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** How often the map reads each gateway's /metrics (rates come from two reads). */
  MAP_SCRAPE_INTERVAL: duration.default(5_000),
  /** One gateway's /metrics read; past it that gateway shows as not answering. Default: 2s, or half the interval if shorter. */
  MAP_SCRAPE_TIMEOUT: duration.optional(),
  /** McpServers whose gateways are read per interval; the rest are shown without figures. */
  MAP_MAX_SERVERS: z.coerce.number().int().min(1).max(10_000).default(200),
  /** Browsers following the map at once; more are answered 503. */
  MAP_MAX_CLIENTS: z.coerce.number().int().min(1).max(1_000).default(32),
});

export type OperatorSettings = Omit<z.output<typeof settingsSchema>, 'MAP_SCRAPE_TIMEOUT'> & { MAP_SCRAPE_TIMEOUT: number; leaseNamespace: string };

export function loadOperatorSettings(env: NodeJS.ProcessEnv): OperatorSettings {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = settingsSchema.safeParse(present);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? 'environment'), issue.message);
  }
  const settings = result.data;
  if (settings.RENEW_DEADLINE >= settings.LEASE_DURATION) throw new ConfigError('RENEW_DEADLINE', 'must be shorter than LEASE_DURATION');
  if (settings.MAP_PORT !== undefined && settings.MAP_PORT !== 0 && settings.MAP_PORT === settings.HEALTH_PORT) {
    throw new ConfigError('MAP_PORT', `must differ from HEALTH_PORT (${settings.HEALTH_PORT})`);
  }
  const scrapeTimeout = settings.MAP_SCRAPE_TIMEOUT ?? Math.min(2_000, settings.MAP_SCRAPE_INTERVAL / 2);
  if (scrapeTimeout >= settings.MAP_SCRAPE_INTERVAL) throw new ConfigError('MAP_SCRAPE_TIMEOUT', 'must be shorter than MAP_SCRAPE_INTERVAL');
  return {
    ...settings,
    MAP_SCRAPE_TIMEOUT: scrapeTimeout,
    leaseNamespace: settings.LEADER_ELECTION_NAMESPACE ?? settings.POD_NAMESPACE ?? 'default',
  };
}
