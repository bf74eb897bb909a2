// spec.bus resolved to what the gateway pods need: memory, or a JetStream log with its server
// URLs and the Secret files (credentials, CA, client certificate) that go with them. A URL in the
// spec is taken as given; an Argo Events EventBus is read from the cluster (its status publishes
// the client URL and the access Secret, as Argo's own EventSources and Sensors read it). What
// cannot be resolved is a problem reported in status, never a crash.
import type { JetStreamSpec, McpServer } from '../../src/api/index.js';

/** One key of a Secret in the server's namespace, to be mounted as a file. */
export interface SecretFile {
  secretName: string;
  key: string;
}

export type NatsCredentials =
  | { kind: 'token'; token: SecretFile }
  | { kind: 'userPassword'; user: SecretFile; password: SecretFile }
  | { kind: 'nkeySeed'; seed: SecretFile }
  | { kind: 'creds'; creds: SecretFile }
  /** `username: ...` / `password: ...` YAML: an Argo EventBus's client-auth Secret. */
  | { kind: 'basicAuth'; file: SecretFile };

export interface ResolvedJetStream {
  urls: string[];
  credentials?: NatsCredentials;
  tls?: { ca?: SecretFile; cert?: SecretFile; key?: SecretFile };
  stream: NonNullable<JetStreamSpec['stream']>;
  /** namespace/name of the Argo EventBus it came from. */
  eventBus?: string;
}

export type ResolvedBus = { type: 'memory' } | { type: 'jetstream'; jetstream: ResolvedJetStream };

export interface BusProblem {
  reason: string;
  message: string;
}

export type BusResolution =
  | { bus: ResolvedBus; problem?: undefined; pending?: undefined }
  | { problem: BusProblem; bus?: undefined; pending?: undefined }
  /** The EventBus cache is filling; look again shortly (nothing to report yet). */
  | { pending: true; bus?: undefined; problem?: undefined };

/** A resolution with something to act on: the bus, or why there is none. */
export type SettledBus = Exclude<BusResolution, { pending: true }>;

type SecretKeySelector = { name?: string; key?: string };

/** The parts of Argo Events' EventBus (argoproj.io/v1alpha1) the operator reads. */
export interface ArgoEventBus {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string };
  spec?: { nats?: unknown; jetstream?: unknown; jetstreamExotic?: unknown; kafka?: unknown };
  status?: {
    config?: {
      nats?: unknown;
      kafka?: unknown;
      jetstream?: {
        url?: string;
        accessSecret?: SecretKeySelector;
        tls?: {
          caCertSecret?: SecretKeySelector;
          clientCertSecret?: SecretKeySelector;
          clientKeySecret?: SecretKeySelector;
          insecureSkipVerify?: boolean;
        };
      };
    };
  };
}

/** What the operator knows of Argo's EventBuses: whether the API server serves the kind, and the cached ones. */
export interface EventBusLookup {
  /**
   * absent: Argo Events' CRD is not installed (looked for again periodically); syncing: just found,
   * the cache is filling; unreadable: found, but the EventBuses cannot be listed (RBAC).
   */
  state(): 'absent' | 'syncing' | 'unreadable' | 'ready';
  get(namespace: string, name: string): ArgoEventBus | undefined;
}

/** namespace/name of the Argo EventBus a server's bus names, if any. */
export function referencedEventBusKeys(server: McpServer): string[] {
  const name = server.spec.bus?.jetstream?.argoEventBus?.name;
  return server.spec.bus?.type === 'jetstream' && name ? [`${server.metadata.namespace ?? 'default'}/${name}`] : [];
}

const NATS_URL = /^(nats|tls):\/\/[^\s/]+$/;

export function resolveBus(server: McpServer, eventBuses: EventBusLookup): BusResolution {
  const spec = server.spec.bus;
  if ((spec?.type ?? 'memory') === 'memory' || !spec?.jetstream) return { bus: { type: 'memory' } };
  const jetstream = spec.jetstream;
  const stream = jetstream.stream ?? {};
  if (jetstream.argoEventBus) return fromEventBus(server.metadata.namespace ?? 'default', jetstream.argoEventBus.name, stream, eventBuses);

  const resolved: ResolvedJetStream = { urls: jetstream.urls ?? [jetstream.url!], stream };
  const secret = jetstream.credentialsSecret;
  if (secret) {
    const file = (key: string): SecretFile => ({ secretName: secret.name, key });
    resolved.credentials = secret.tokenKey
      ? { kind: 'token', token: file(secret.tokenKey) }
      : secret.userKey && secret.passwordKey
        ? { kind: 'userPassword', user: file(secret.userKey), password: file(secret.passwordKey) }
        : secret.nkeySeedKey
          ? { kind: 'nkeySeed', seed: file(secret.nkeySeedKey) }
          : { kind: 'creds', creds: file(secret.credsKey!) };
  }
  if (jetstream.tls) {
    const { caSecret, clientCertSecret } = jetstream.tls;
    resolved.tls = {
      ...(caSecret ? { ca: { secretName: caSecret.name, key: caSecret.key ?? 'ca.crt' } } : {}),
      ...(clientCertSecret
        ? { cert: { secretName: clientCertSecret.name, key: 'tls.crt' }, key: { secretName: clientCertSecret.name, key: 'tls.key' } }
        : {}),
    };
  }
  return { bus: { type: 'jetstream', jetstream: resolved } };
}

function fromEventBus(namespace: string, name: string, stream: ResolvedJetStream['stream'], eventBuses: EventBusLookup): BusResolution {
  const key = `${namespace}/${name}`;
  const state = eventBuses.state();
  if (state === 'syncing') return { pending: true };
  if (state === 'absent') {
    return {
      problem: {
        reason: 'EventBusAPINotInstalled',
        message:
          `spec.bus.jetstream.argoEventBus names EventBus ${key}, but Argo Events is not installed (the API server does not serve ` +
          'eventbus.argoproj.io/v1alpha1); install Argo Events, or name a NATS server with spec.bus.jetstream.url',
      },
    };
  }
  if (state === 'unreadable') {
    return {
      problem: {
        reason: 'EventBusUnreadable',
        message: `the operator cannot list Argo EventBuses to read ${key}: its role needs get, list and watch on eventbus.argoproj.io (config/rbac, the Helm chart)`,
      },
    };
  }
  const eventBus = eventBuses.get(namespace, name);
  if (!eventBus) return { problem: { reason: 'EventBusNotFound', message: `Argo EventBus ${key} not found` } };
  const kind =
    eventBus.spec?.nats || eventBus.status?.config?.nats ? 'nats' : eventBus.spec?.kafka || eventBus.status?.config?.kafka ? 'kafka' : undefined;
  if (kind) {
    return {
      problem: {
        reason: 'EventBusNotJetStream',
        message: `Argo EventBus ${key} is of type ${kind}; the shared log needs an EventBus of type jetstream`,
      },
    };
  }
  const config = eventBus.status?.config?.jetstream;
  if (!config?.url) {
    return {
      problem: {
        reason: 'EventBusNotReady',
        message: `Argo EventBus ${key} has not published its JetStream client URL yet (status.config.jetstream.url); looked at again when it does`,
      },
    };
  }
  try {
    return { bus: { type: 'jetstream', jetstream: { ...eventBusConnection(key, config), stream, eventBus: key } } };
  } catch (error) {
    if (error instanceof UnusableEventBus) return { problem: { reason: 'EventBusUnusable', message: error.message } };
    throw error;
  }
}

class UnusableEventBus extends Error {}

type EventBusJetStreamConfig = NonNullable<NonNullable<NonNullable<ArgoEventBus['status']>['config']>['jetstream']>;

/** The URLs, access Secret and TLS files an EventBus publishes; throws UnusableEventBus naming what the gateway cannot use. */
function eventBusConnection(key: string, config: EventBusJetStreamConfig): Pick<ResolvedJetStream, 'urls' | 'credentials' | 'tls'> {
  const urls = (config.url ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
  if (urls.length === 0 || urls.some((url) => !NATS_URL.test(url))) {
    throw new UnusableEventBus(`Argo EventBus ${key} publishes the URL ${JSON.stringify(config.url)}, which is not a nats:// or tls:// URL`);
  }
  if (config.tls?.insecureSkipVerify) {
    throw new UnusableEventBus(
      `Argo EventBus ${key} asks for TLS without verifying the server (insecureSkipVerify), which the gateway does not do; give the EventBus a caCertSecret`,
    );
  }
  const file = (field: string, ref: SecretKeySelector | undefined): SecretFile | undefined => {
    if (!ref) return undefined;
    if (!ref.name || !ref.key) throw new UnusableEventBus(`Argo EventBus ${key}: ${field} names no Secret name and key`);
    return { secretName: ref.name, key: ref.key };
  };
  const access = file('status.config.jetstream.accessSecret', config.accessSecret);
  const ca = file('status.config.jetstream.tls.caCertSecret', config.tls?.caCertSecret);
  const cert = file('status.config.jetstream.tls.clientCertSecret', config.tls?.clientCertSecret);
  const clientKey = file('status.config.jetstream.tls.clientKeySecret', config.tls?.clientKeySecret);
  if (Boolean(cert) !== Boolean(clientKey))
    throw new UnusableEventBus(`Argo EventBus ${key}: a client certificate needs both clientCertSecret and clientKeySecret`);
  const tls = { ...(ca ? { ca } : {}), ...(cert && clientKey ? { cert, key: clientKey } : {}) };
  return {
    urls,
    ...(access ? { credentials: { kind: 'basicAuth', file: access } as const } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  };
}
