// McpServer: one gateway deployment, everything it can be configured with, and what the
// operator reports back.
import { LOG_LEVELS } from '../config/schema.js';
import { GATEWAY_DEFAULTS } from '../config/defaults.js';
import {
  conditionsSchema,
  deadLetterSchema,
  dnsName,
  duration,
  peerUrl,
  retrySchema,
  serverRefSchema,
  size,
  targetTlsSchema,
  type ObjectMeta,
} from './common.js';
import { busSchema, busStatusSchema } from './bus.js';
import { s, type Infer } from './schema-builder.js';

const secretName = (description: string) => s.object({ name: s.string({ minLength: 1, maxLength: 253 }) }).describe(description);
const secretKeyRef = (description: string) =>
  s.object({ name: s.string({ minLength: 1, maxLength: 253 }), key: s.string({ minLength: 1, maxLength: 253 }) }).describe(description);

const port = (description: string, fallback: number) => s.integer({ minimum: 1, maximum: 65535, default: fallback }).describe(description).opt();

export const peerSchema = s
  .object({
    serverRef: serverRefSchema.describe('Another McpServer, in any namespace; resolved to its Service address.').opt(),
    url: peerUrl('A gateway outside the cluster: http(s)://host:port (its API: batches to /api/v1/events/batch) or grpc(s)://host:port.').opt(),
    tls: targetTlsSchema.opt(),
  })
  .rule('has(self.serverRef) != has(self.url)', 'give exactly one of serverRef or url');

export const mcpServerSpecSchema = s
  .object({
    replicas: s.integer({ minimum: 0, maximum: 1000 }).describe('Gateway pods. Leave unset with autoscaling; defaults to 1 without it.').opt(),
    image: s.string({ minLength: 1, maxLength: 512 }).describe("Gateway image; defaults to the operator's own gateway image.").opt(),
    imagePullPolicy: s.enum(['Always', 'IfNotPresent', 'Never']).opt(),
    logLevel: s.enum(LOG_LEVELS, { default: GATEWAY_DEFAULTS.logLevel }).describe('Gateway log level.').opt(),
    ports: s
      .object(
        {
          http: port('HTTP ingress port (POST /mcp, /api/v1/events).', GATEWAY_DEFAULTS.httpPort),
          grpc: port('gRPC port (mcp.v1.MCPService).', GATEWAY_DEFAULTS.grpcPort),
          health: port('Health and metrics port.', GATEWAY_DEFAULTS.healthPort),
        },
        { default: {} },
      )
      .rule(
        '!(has(self.http) && has(self.grpc) && self.http == self.grpc) && ' +
          '!(has(self.http) && has(self.health) && self.http == self.health) && ' +
          '!(has(self.grpc) && has(self.health) && self.grpc == self.health)',
        'http, grpc and health ports must differ',
      )
      .opt(),
    limits: s
      .object({
        maxEventSize: size('Largest accepted event (MAX_EVENT_SIZE).').opt(),
        bufferSize: s.integer({ minimum: 1, maximum: 1_000_000 }).describe('Accepted events not yet dispatched (BUFFER_SIZE).').opt(),
        admissionWait: duration(
          'How long ingest waits for room (buffer, forwarding queues) before answering 429 / RESOURCE_EXHAUSTED; 0s refuses at once (ADMISSION_WAIT).',
        ).opt(),
        maxConnections: s.integer({ minimum: 1, maximum: 100_000 }).describe('Concurrent gRPC streams (MAX_CONNECTIONS).').opt(),
        maxBatchSize: s.integer({ minimum: 1, maximum: 10_000 }).describe('Events per batch request.').opt(),
        subscriberQueueSize: s.integer({ minimum: 1, maximum: 1_000_000 }).describe('Events queued per subscriber before it is cut off.').opt(),
        rateLimit: s
          .object({
            eventsPerSecond: s.number({ minimum: 0 }).describe('Gateway-wide ingest rate; 0 is no limit.'),
            burst: s.integer({ minimum: 1 }).describe('Burst above the rate; defaults to the rate.').opt(),
          })
          .opt(),
      })
      .describe('Intake and memory bounds of each gateway pod.')
      .opt(),
    forwarding: s
      .object({
        timeout: duration('Per-attempt forwarding timeout (FORWARD_TIMEOUT).').opt(),
        retry: retrySchema.opt(),
        deadLetter: deadLetterSchema.describe('Where events go that cannot be delivered, besides the in-memory store.').opt(),
      })
      .opt(),
    peers: s.array(peerSchema, { maxItems: 64 }).describe('Gateways every accepted event is forwarded to.').opt(),
    history: s
      .object({
        size: s.integer({ minimum: 0, maximum: 10_000_000 }).describe('Events kept for StreamEvents replay.').opt(),
        retention: duration('How long an event stays replayable.').opt(),
      })
      .opt(),
    kubernetesEvents: s
      .object({
        enabled: s.boolean({ default: true }).opt(),
        qps: s.number({ minimum: 0, maximum: 1000, default: 10 }).describe('Event writes per second to the API server.').opt(),
        burst: s.integer({ minimum: 1, maximum: 10_000, default: 25 }).opt(),
        detail: s
          .enum(['all', 'failures'], { default: 'all' })
          .describe('all: every dispatched event (aggregated into series); failures: dead letters and unreachable peers only.')
          .opt(),
      })
      .describe('events.k8s.io Events about this McpServer for dispatched events, for Argo resource EventSources.')
      .opt(),
    shutdown: s.object({ gracePeriod: duration('Time to drain queued events on shutdown.').opt() }).opt(),
    security: s
      .object({
        auth: s
          .object({
            mode: s.enum(['none', 'apiKey', 'jwt', 'any'], { default: 'none' }).describe('Credentials ingest and subscriptions need.').opt(),
            apiKeysSecret: secretName('A Secret whose every key is one API key (the key name is its id); rotated live.').opt(),
            jwt: s
              .object({
                issuer: s.string({ maxLength: 1024 }).describe('Required iss.').opt(),
                audience: s
                  .array(s.string({ maxLength: 1024 }), { maxItems: 16 })
                  .describe('Accepted aud values.')
                  .opt(),
                jwksUrl: s.string({ maxLength: 2048, pattern: '^https?://[^\\s/]+.*$' }).describe('Signing keys from a JWKS endpoint.').opt(),
                keysSecret: secretKeyRef('A Secret key holding a JWKS document or a PEM public key.').opt(),
              })
              .opt(),
            tenantClaim: s
              .string({ minLength: 1, maxLength: 256 })
              .describe('The token claim that binds metadata.tenant_id (default tenant_id).')
              .opt(),
          })
          .rule(
            "!has(self.mode) || self.mode == 'none' || self.mode == 'jwt' || has(self.apiKeysSecret)",
            'apiKeysSecret is required for mode apiKey or any',
          )
          .rule(
            "!has(self.mode) || self.mode == 'none' || self.mode == 'apiKey' || has(self.jwt) && (has(self.jwt.jwksUrl) || has(self.jwt.keysSecret)) || self.mode == 'any' && has(self.apiKeysSecret)",
            'jwt.jwksUrl or jwt.keysSecret is required for mode jwt',
          )
          .opt(),
        federation: s
          .object({
            keysSecret: secretName('A Secret whose every key is an HMAC key (the key name is its key id), for signing forwarded events.'),
            signingKeyId: s.string({ pattern: '^[A-Za-z0-9._-]{1,64}$' }).describe('The key id to sign with; defaults to the first.').opt(),
            requireSignatures: s.boolean({ default: false }).describe('Refuse peer events without a valid signature.').opt(),
          })
          .opt(),
        tls: s
          .object({
            secretName: s
              .string({ minLength: 1, maxLength: 253 })
              .describe('A kubernetes.io/tls Secret (tls.crt, tls.key) for the HTTP and gRPC servers.'),
            mutual: s.boolean({ default: false }).describe("Require gRPC client certificates signed by the Secret's ca.crt.").opt(),
          })
          .opt(),
      })
      .describe('Authentication, signed federation and TLS, from Secrets in this namespace.')
      .opt(),
    bus: busSchema.opt(),
    observability: s
      .object({
        tracing: s
          .object({
            endpoint: s
              .string({ maxLength: 2048, pattern: '^https?://[^\\s/]+.*$' })
              .describe(
                'OTLP/HTTP endpoint the gateway pods export spans to (OTEL_EXPORTER_OTLP_ENDPOINT), e.g. ' +
                  'http://jaeger-collector.observability:4318. Tracing is on once it is set.',
              ),
            samplingRatio: s
              .number({ minimum: 0, maximum: 1 })
              .describe(
                'Share of new traces recorded, 0 to 1 (OTEL_TRACES_SAMPLER parentbased_traceidratio with this OTEL_TRACES_SAMPLER_ARG); ' +
                  'events arriving in a trace follow its decision. Unset: every trace.',
              )
              .opt(),
            serviceName: s
              .string({ minLength: 1, maxLength: 256 })
              .describe('service.name of the spans (OTEL_SERVICE_NAME); default tas-mcp-gateway.')
              .opt(),
            resourceAttributes: s
              .map(s.string({ maxLength: 1024 }))
              .describe(
                'More resource attributes of the spans (OTEL_RESOURCE_ATTRIBUTES); the pod gets k8s.namespace.name, k8s.pod.name and mcp.server.name anyway.',
              )
              .opt(),
          })
          .describe('OpenTelemetry tracing of the gateway pods: spans for ingest, dispatch and each forward attempt, linked across gateways.')
          .opt(),
      })
      .describe('Telemetry of the gateway pods beyond their /metrics.')
      .opt(),
    autoscaling: s
      .object({
        minReplicas: s.integer({ minimum: 1, maximum: 1000, default: 1 }).opt(),
        maxReplicas: s.integer({ minimum: 1, maximum: 1000 }),
        targetCPUUtilizationPercentage: s.integer({ minimum: 1, maximum: 100, default: 70 }).opt(),
      })
      .rule('!has(self.minReplicas) || self.minReplicas <= self.maxReplicas', 'minReplicas must not exceed maxReplicas')
      .describe('A HorizontalPodAutoscaler owns the replica count when this is set.')
      .opt(),
    resources: s
      .object({
        requests: s.map(s.intOrString()).describe('Quantities by resource name, e.g. cpu: 250m, memory: 256Mi.').opt(),
        limits: s.map(s.intOrString()).describe('Quantities by resource name, e.g. memory: 512Mi.').opt(),
      })
      .describe('Gateway container resources (corev1.ResourceRequirements).')
      .opt(),
    pod: s
      .object({
        labels: s.map(s.string()).opt(),
        annotations: s.map(s.string()).opt(),
        nodeSelector: s.map(s.string()).opt(),
        priorityClassName: s.string().opt(),
        tolerations: s.array(s.opaque()).opt(),
        affinity: s.opaque().opt(),
      })
      .describe('Overrides for the gateway pods.')
      .opt(),
  })
  .rule('!(has(self.replicas) && has(self.autoscaling))', 'set replicas or autoscaling, not both');

export type McpServerSpec = Infer<typeof mcpServerSpecSchema>;
export type Peer = Infer<typeof peerSchema>;

export const mcpServerStatusSchema = s.object({
  observedGeneration: s.integer({ format: 'int64' }).opt(),
  conditions: conditionsSchema.opt(),
  replicas: s.integer().opt(),
  readyReplicas: s.integer().opt(),
  selector: s.string().describe('Label selector of the gateway pods (for the scale subresource).').opt(),
  endpoint: s.string().describe('The HTTP ingest URL inside the cluster.').opt(),
  endpoints: s.object({ http: s.string().opt(), grpc: s.string().opt(), health: s.string().opt() }).opt(),
  peers: s
    .array(
      s.object({
        name: s.string().describe('namespace/name of the McpServer, or the URL as given.'),
        address: s.string().describe('The address forwarded to; empty while unresolved.').opt(),
        resolved: s.boolean(),
      }),
    )
    .opt(),
  resolvedPeers: s.integer().describe('Peers with an address.').opt(),
  attachedRoutes: s.integer().describe("McpRoutes accepted into this server's configuration.").opt(),
  configHash: s.string().describe('Hash of the rendered gateway configuration.').opt(),
  bus: busStatusSchema.opt(),
});
export type McpServerStatus = Infer<typeof mcpServerStatusSchema>;

export interface McpServer {
  apiVersion: 'mcp.tas.ai/v1alpha1';
  kind: 'McpServer';
  metadata: ObjectMeta;
  spec: McpServerSpec;
  status?: McpServerStatus;
}

export { dnsName };
