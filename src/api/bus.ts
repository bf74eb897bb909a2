// McpServer.spec.bus: which event log the gateway pods keep. `memory` (the default) is a ring in
// each pod; `jetstream` is one NATS JetStream stream shared by every pod of the server, on a NATS
// named by URL or on an Argo Events EventBus. The rules that span fields are CEL, so the API
// server refuses a contradictory spec with a message naming the fields.
import { GATEWAY_DEFAULTS } from '../config/defaults.js';
import { dnsName, duration, size } from './common.js';
import { s, type Infer } from './schema-builder.js';

export const BUS_TYPES = ['memory', 'jetstream'] as const;
export type BusType = (typeof BUS_TYPES)[number];

const natsUrl = (description: string) => s.string({ maxLength: 2048, pattern: '^(nats|tls)://[^\\s/]+$' }).describe(description);
const secretObjectName = s
  .string({ minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' })
  .describe('Name of a Secret in this namespace.');
const secretKey = (description: string) => s.string({ minLength: 1, maxLength: 253, pattern: '^[-._a-zA-Z0-9]+$' }).describe(description);

/** "24h": the gateway's default stream age, as CEL's duration() reads it. */
const DEFAULT_MAX_AGE = `${GATEWAY_DEFAULTS.streamMaxAgeMs / 3_600_000}h`;

export const credentialsSecretSchema = s
  .object({
    name: secretObjectName,
    tokenKey: secretKey('Key holding a token.').opt(),
    userKey: secretKey('Key holding the user name (with passwordKey), e.g. username in a kubernetes.io/basic-auth Secret.').opt(),
    passwordKey: secretKey('Key holding the password (with userKey), e.g. password.').opt(),
    nkeySeedKey: secretKey('Key holding an NKEY seed (SU...).').opt(),
    credsKey: secretKey('Key holding a NATS .creds file (user JWT and seed).').opt(),
  })
  .rule('has(self.userKey) == has(self.passwordKey)', 'userKey and passwordKey go together')
  .rule(
    '[has(self.tokenKey), has(self.userKey) || has(self.passwordKey), has(self.nkeySeedKey), has(self.credsKey)].filter(k, k).size() == 1',
    'give exactly one of tokenKey, userKey with passwordKey, nkeySeedKey or credsKey',
  )
  .describe(
    'The NATS credentials, from a Secret in this namespace: one kind, named by the key that holds it. Mounted read-only; a change rolls the pods.',
  );

export const natsTlsSchema = s
  .object({
    caSecret: s
      .object({ name: secretObjectName, key: secretKey('Key holding the PEM CA bundle.').with({ default: 'ca.crt' }).opt() })
      .describe("The CA the NATS servers' certificates chain to.")
      .opt(),
    clientCertSecret: s
      .object({ name: secretObjectName })
      .describe('A kubernetes.io/tls Secret (tls.crt, tls.key): the client certificate, for servers that require one.')
      .opt(),
  })
  .rule(
    'has(self.caSecret) || has(self.clientCertSecret)',
    'give caSecret, clientCertSecret or both (a tls:// URL alone asks for TLS with the system CAs)',
  )
  .describe('TLS to the NATS servers, from Secrets in this namespace.');

export const streamSchema = s
  .object({
    replicas: s
      .integer({ enum: [1, 3, 5] })
      .describe('Copies of the stream the JetStream cluster keeps: 1, or 3 (or 5) on a cluster of at least that many servers. Default 1.')
      .opt(),
    maxAge: duration('How long an event stays in the log (replay, catch-up, the forwarding backlog). Default 24h.').opt(),
    maxBytes: size('Bytes the log keeps; the oldest events go first. At least 1Mi. Default 1Gi.').opt(),
    duplicateWindow: duration('A repeated event_id within this window is answered duplicate, whichever pod it reaches. Default 10m.').opt(),
  })
  .rule(
    `!has(self.duplicateWindow) || duration(self.duplicateWindow) <= (has(self.maxAge) ? duration(self.maxAge) : duration('${DEFAULT_MAX_AGE}'))`,
    `duplicateWindow must not exceed maxAge (${DEFAULT_MAX_AGE} when unset)`,
  )
  .describe('The stream every pod shares (named mcp_<namespace>_<name>).');

export const jetStreamSchema = s
  .object({
    url: natsUrl('A NATS server with JetStream, e.g. nats://nats.nats-system.svc:4222 (config/nats).').opt(),
    urls: s
      .array(natsUrl('A NATS server URL.'), { minItems: 1, maxItems: 16 })
      .describe('Several servers of one NATS cluster; the client fails over between them.')
      .opt(),
    argoEventBus: s
      .object({ name: dnsName('Name of the EventBus.') })
      .describe(
        'An Argo Events EventBus of type jetstream in this namespace: its client URL and credentials are taken from the EventBus status, ' +
          'read-only. Reported in the SharedLog condition when Argo Events is not installed or the EventBus is missing or not ready.',
      )
      .opt(),
    credentialsSecret: credentialsSecretSchema.opt(),
    tls: natsTlsSchema.opt(),
    stream: streamSchema.opt(),
  })
  .rule('[has(self.url), has(self.urls), has(self.argoEventBus)].filter(k, k).size() == 1', 'give exactly one of url, urls or argoEventBus')
  .rule(
    '!has(self.argoEventBus) || !has(self.credentialsSecret) && !has(self.tls)',
    'with argoEventBus the credentials and TLS come from the EventBus: leave out credentialsSecret and tls',
  )
  .describe('Where the shared log lives: a NATS server with JetStream, or an Argo Events EventBus.');

export const busSchema = s
  .object({
    type: s
      .enum(BUS_TYPES, { default: 'memory' })
      .describe(
        "memory: each pod keeps its own events in a ring (nothing to install; a subscriber sees only its pod's events, lost when the pod stops). " +
          'jetstream: one JetStream stream shared by every pod: every subscriber sees every event, and accepted events survive pod restarts.',
      )
      .opt(),
    jetstream: jetStreamSchema.opt(),
  })
  .rule("!has(self.type) || self.type != 'jetstream' || has(self.jetstream)", 'jetstream is required when type is jetstream')
  .rule("!has(self.jetstream) || has(self.type) && self.type == 'jetstream'", 'jetstream settings need type: jetstream')
  .describe('The event log of the gateway pods: memory (the default) or a shared NATS JetStream stream.');

export type BusSpec = Infer<typeof busSchema>;
export type JetStreamSpec = Infer<typeof jetStreamSchema>;

export const busStatusSchema = s
  .object({
    type: s.enum(BUS_TYPES).describe('The log the pods run with.'),
    stream: s.string().describe('The JetStream stream the pods share (jetstream only).').opt(),
    eventBus: s.string().describe('The Argo EventBus the stream lives on, when spec.bus.jetstream.argoEventBus names one.').opt(),
    connectedPods: s
      .integer({ minimum: 0 })
      .describe('Pods whose log takes events: the Ready pods (a gateway is Ready only while its log is connected).'),
  })
  .describe('The event log as the pods run it.');
