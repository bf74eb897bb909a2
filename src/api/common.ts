// Schema pieces shared by McpServer and McpRoute.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { DEFAULT_RETRY_ON, GRPC_STATUS_NAMES, MAX_RETRY_STATUS, MIN_RETRY_STATUS } from '../config/retry-on.js';
import { s, type Infer } from './schema-builder.js';

export const GROUP = 'mcp.tas.ai';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Go-style durations, as the gateway config takes them: 500ms, 30s, 1m30s, 2h. */
export const duration = (description: string) => s.string({ pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$', maxLength: 32 }).describe(description);

/** Bytes as a number, or text such as 1MB (SI) or 1Mi (binary). */
export const size = (description: string) =>
  s
    .intOrString()
    .describe(description)
    .rule(
      "type(self) == int ? int(self) >= 0 : string(self).matches('^[0-9]+(\\\\.[0-9]+)?([kKMG]i?B?|[kKMG]B|B)?$')",
      'must be a number of bytes or a size such as 1MB or 1Mi',
    );

export const dnsName = (description: string) =>
  s.string({ minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' }).describe(description);

export const peerUrl = (description: string) => s.string({ maxLength: 2048, pattern: '^(https?|grpcs?)://[^\\s/]+.*$' }).describe(description);

/** TLS to a forwarding target, from Secrets in the referring object's namespace (mounted read-only; a change rolls the pods). */
export const targetTlsSchema = s
  .object({
    caSecret: s
      .object({
        name: s.string({ minLength: 1, maxLength: 253 }),
        key: s.string({ minLength: 1, maxLength: 253, default: 'ca.crt' }).opt(),
      })
      .describe(
        "A Secret holding the PEM CA bundle the target's certificate must chain to (key ca.crt unless named); default: the system's trusted roots.",
      )
      .opt(),
    clientCertSecret: s
      .object({ name: s.string({ minLength: 1, maxLength: 253 }) })
      .describe('A kubernetes.io/tls Secret (tls.crt, tls.key) presented to a target that requires client certificates (mutual TLS).')
      .opt(),
    serverName: s.string({ minLength: 1, maxLength: 253 }).describe("The name the target's certificate must carry; default: the URL's host.").opt(),
  })
  .describe('TLS to this target: for https:// and grpcs:// URLs, or a grpc:// one; an McpServer with TLS is reached over TLS by itself.');
export type TargetTls = Infer<typeof targetTlsSchema>;

/** A reference to an McpServer, in this namespace unless one is given. */
export const serverRefSchema = s.object({
  name: dnsName('Name of the McpServer.'),
  namespace: dnsName('Namespace of the McpServer; defaults to the namespace of the referring object.').opt(),
});
export type ServerRef = Infer<typeof serverRefSchema>;

/** One retryOn entry: an HTTP status, an HTTP status class, or a gRPC status name (src/config/retry-on.ts). */
const retryOnEntry = s.intOrString({ maxLength: 24 }).rule(
  // Membership in a list of constants, not a regular expression: inside an array, the API server
  // prices a regex over a string of unknown length far above its CEL budget.
  `type(self) == int ? (int(self) >= ${MIN_RETRY_STATUS} && int(self) <= ${MAX_RETRY_STATUS}) : string(self) in [${['3xx', '4xx', '5xx', ...GRPC_STATUS_NAMES].map((w) => `'${w}'`).join(', ')}]`,
  `must be an HTTP status from ${MIN_RETRY_STATUS} to ${MAX_RETRY_STATUS} (400), a class ("4xx", "5xx") or a gRPC status name (UNAVAILABLE)`,
);

export const retrySchema = s.object({
  maxAttempts: s.integer({ minimum: 1, maximum: 100 }).describe('Attempts in all, the first included.').opt(),
  initialBackoff: duration('Wait before the first retry; doubled each time with jitter.').opt(),
  maxBackoff: duration('Longest wait between attempts.').opt(),
  retryOn: s
    .array(retryOnEntry, { minItems: 1, maxItems: 32 })
    .describe(
      'Answers worth another attempt: HTTP statuses (400) and classes ("5xx") for http(s) targets, gRPC status names (UNAVAILABLE) ' +
        "for grpc:// targets; a list naming none of a kind keeps that kind's default. No answer at all (connection refused, " +
        `timeout) is always retried. Default: ${DEFAULT_RETRY_ON.map((e) => JSON.stringify(e)).join(', ')}; a route without it takes its server's.`,
    )
    .opt(),
});
export type RetryPolicy = Infer<typeof retrySchema>;

export const deadLetterSchema = s
  .object({
    url: peerUrl('Where dead letters are POSTed (an http(s) URL).').opt(),
    serverRef: serverRefSchema.describe('An McpServer that receives the dead letters.').opt(),
  })
  .rule('!(has(self.url) && has(self.serverRef))', 'give url or serverRef, not both');
export type DeadLetterSink = Infer<typeof deadLetterSchema>;

/** metav1.Condition, as every Kubernetes API carries it. */
export const conditionSchema = s.object({
  type: s.string({
    maxLength: 316,
    pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
  }),
  status: s.enum(['True', 'False', 'Unknown']),
  observedGeneration: s.integer({ minimum: 0, format: 'int64' }).opt(),
  lastTransitionTime: s.string({ format: 'date-time' }),
  reason: s.string({ minLength: 1, maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' }),
  message: s.string({ maxLength: 32768 }),
});
export type Condition = Infer<typeof conditionSchema>;

export const conditionsSchema = s
  .array(conditionSchema, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'], maxItems: 16 })
  .describe('Current state, one condition per type, each with the generation it was observed at.');

/** Object metadata as client-node types it, with the name always present. (Read from the raw
 * API, timestamps are strings whatever the type says; nothing here reads them as dates.) */
export type ObjectMeta = V1ObjectMeta & { name: string };
