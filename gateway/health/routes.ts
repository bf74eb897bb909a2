// /health, /ready and /metrics: served on the health port, and on the HTTP port as well.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { GatewayStatus } from '../status.js';

export interface HealthRoutesOptions {
  status: GatewayStatus;
  registry: Registry;
}

export async function healthRoutes(app: FastifyInstance, { status, registry }: HealthRoutesOptions): Promise<void> {
  app.get('/health', async (_request, reply) => {
    const health = status.health();
    return reply.code(health.status === 'unhealthy' ? 503 : 200).send({
      status: health.status,
      timestamp: new Date().toISOString(),
      version: status.version,
      uptime: status.uptimeSeconds(),
      details: health.details,
      // The Go reference server's counters, under its name.
      stats: status.stats(),
    });
  });

  app.get('/ready', async (_request, reply) => {
    const ready = status.isReady();
    // `log` tells an orchestrator (and the operator's status) which log this pod has and whether it is connected.
    // `status` is the Go reference server's field; `ready` and `phase` are what the operator reads.
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', ready, phase: status.phase, log: status.log() });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(text);
  });
}
