// GET /api/v1/metrics and GET /api/v1/stats: the Go reference server's JSON views of the
// gateway's counters (MetricsResponse and ServerStats), open like /health and GetMetrics.
import type { FastifyInstance } from 'fastify';
import type { GatewayStatus } from '../../status.js';

const counters = {
  total_events: { type: 'integer' },
  stream_events: { type: 'integer' },
  forwarded_events: { type: 'integer' },
  error_events: { type: 'integer' },
  active_streams: { type: 'integer' },
} as const;

export async function statsRoutes(app: FastifyInstance, { status }: { status: GatewayStatus }): Promise<void> {
  app.get(
    '/api/v1/metrics',
    { schema: { response: { 200: { type: 'object', properties: Object.assign({}, counters, { uptime: { type: 'integer' } }) } } } },
    async () => status.metrics(),
  );
  app.get(
    '/api/v1/stats',
    { schema: { response: { 200: { type: 'object', properties: Object.assign({}, counters, { start_time: { type: 'string' } }) } } } },
    async () => status.stats(),
  );
}
