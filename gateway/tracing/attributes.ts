// Span names and attribute keys of the gateway's traces, in one place (README "Tracing" lists them).
export const SPAN = {
  ingest: 'mcp.ingest',
  dispatch: 'mcp.dispatch',
  forward: 'mcp.forward',
} as const;

export const ATTR = {
  eventId: 'mcp.event.id',
  eventType: 'mcp.event.type',
  eventSource: 'mcp.event.source',
  ingestMethod: 'mcp.ingest.method',
  ingestOutcome: 'mcp.ingest.outcome',
  ingestReason: 'mcp.ingest.reason',
  logPosition: 'mcp.log.position',
  subscribers: 'mcp.subscribers',
  target: 'mcp.target',
  targetUrl: 'mcp.target.url',
  attempt: 'mcp.forward.attempt',
  mode: 'mcp.forward.mode',
  batchSize: 'mcp.forward.batch_size',
  status: 'mcp.forward.status',
  outcome: 'mcp.forward.outcome',
  gateway: 'mcp.gateway.id',
} as const;
