// McpRoute: which events (type, source, metadata) go to which targets, with what delivery policy.
import { conditionsSchema, deadLetterSchema, duration, peerUrl, retrySchema, serverRefSchema, targetTlsSchema, type ObjectMeta } from './common.js';
import { s, type Infer } from './schema-builder.js';

const typePattern = s.string({ minLength: 1, maxLength: 256, pattern: '^([A-Za-z0-9][A-Za-z0-9._:/-]*\\*?|\\*)$' });

export const routeTargetSchema = s
  .object({
    serverRef: serverRefSchema.describe('An McpServer, in any namespace.').opt(),
    url: peerUrl('A URL: an MCP gateway, an Argo webhook EventSource, a Knative broker.').opt(),
    format: s
      .enum(['mcp', 'cloudevents', 'legacy'], { default: 'mcp' })
      .describe(
        'mcp: another MCP gateway (at a bare address its API, in batches; with a path, one event per request there); ' +
          "cloudevents: HTTP binary mode, one event per request; legacy: the seed's {id, data} to POST /mcp.",
      )
      .opt(),
    batch: s
      .boolean()
      .describe(
        'Many events per request. Default: yes for mcp at a bare address, no otherwise; for cloudevents, the batched content mode (application/cloudevents-batch+json).',
      )
      .opt(),
    tls: targetTlsSchema.opt(),
  })
  .rule('has(self.serverRef) != has(self.url)', 'give exactly one of serverRef or url');
export type RouteTarget = Infer<typeof routeTargetSchema>;

export const mcpRouteSpecSchema = s
  .object({
    serverRef: s
      .object({ name: s.string({ minLength: 1, maxLength: 253 }) })
      .describe('The McpServer in this namespace whose events this route takes.')
      .opt(),
    serverSelector: s
      .object({ matchLabels: s.map(s.string()) })
      .describe('All McpServers in this namespace with these labels.')
      .opt(),
    match: s
      .object({
        eventTypes: s.array(typePattern, { maxItems: 64 }).describe('Exact types or prefix globs (document.*); empty = all.').opt(),
        sources: s
          .array(s.string({ minLength: 1, maxLength: 256 }), { maxItems: 64 })
          .describe('Event sources; empty = all.')
          .opt(),
        metadata: s
          .map(s.string({ maxLength: 4096 }), { maxProperties: 32 })
          .describe('Metadata entries that must all be equal.')
          .opt(),
      })
      .opt(),
    targets: s.array(routeTargetSchema, { minItems: 1, maxItems: 32 }),
    delivery: s
      .object({
        timeout: duration('Per-attempt timeout.').opt(),
        retry: retrySchema.opt(),
        deadLetter: deadLetterSchema.opt(),
      })
      .opt(),
    priority: s.integer({ minimum: 0, maximum: 1000, default: 100 }).describe('Lower runs first where routes overlap.').opt(),
  })
  .rule('has(self.serverRef) != has(self.serverSelector)', 'give exactly one of serverRef or serverSelector');
export type McpRouteSpec = Infer<typeof mcpRouteSpecSchema>;

export const mcpRouteStatusSchema = s.object({
  observedGeneration: s.integer({ format: 'int64' }).opt(),
  conditions: conditionsSchema.opt(),
  servers: s.array(s.string()).describe('McpServers this route is attached to.').opt(),
});
export type McpRouteStatus = Infer<typeof mcpRouteStatusSchema>;

export interface McpRoute {
  apiVersion: 'mcp.tas.ai/v1alpha1';
  kind: 'McpRoute';
  metadata: ObjectMeta;
  spec: McpRouteSpec;
  status?: McpRouteStatus;
}
