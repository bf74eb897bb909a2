// The forwarding API, in the Go reference server's shapes: GET /api/v1/forwarding/targets (every
// target by id, with its live state: circuit, queue, last error, counts), GET .../targets/{id},
// GET /api/v1/forwarding/metrics; and changing targets: POST .../targets, PUT and DELETE
// .../targets/{id}, which a standalone gateway takes and one configured by a file refuses (409).
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DeadLetters } from '../../forwarding/dead-letters.js';
import type { Forwarder } from '../../forwarding/forwarder.js';
import { TargetChangeError, type RuntimeTargets } from '../../forwarding/runtime-targets.js';
import { metricsView, targetsView, targetView } from '../../forwarding/target-view.js';

export interface ForwardingRoutesOptions {
  forwarder: Forwarder;
  deadLetters: DeadLetters;
  targets: RuntimeTargets;
}

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 256 } },
  required: ['id'],
};

function refused(reply: FastifyReply, error: unknown): FastifyReply {
  if (!(error instanceof TargetChangeError)) throw error;
  return reply.code(error.statusCode).send({ status: 'rejected', error: error.code, message: error.message });
}

export async function forwardingRoutes(app: FastifyInstance, { forwarder, deadLetters, targets }: ForwardingRoutesOptions): Promise<void> {
  app.get('/api/v1/forwarding/targets', async () => targetsView(forwarder.stats()));

  // {id}: a target's id, or the name of the route (API-added target) that leads to it. Ids with
  // a slash (team-b/beta) are written %2F.
  app.get('/api/v1/forwarding/targets/:id', { schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const found = forwarder.stats().targets.find((t) => t.target === id || t.lanes.some((l) => l.route === `route/${id}`));
    if (!found) return reply.code(404).send({ status: 'rejected', error: 'not_found', message: `no target with id ${JSON.stringify(id)}` });
    return targetView(found);
  });

  app.get('/api/v1/forwarding/metrics', async () => metricsView(forwarder.stats(), deadLetters.totals));

  app.post('/api/v1/forwarding/targets', async (request, reply) => {
    try {
      const id = targets.add(request.body);
      return reply.code(201).send({ status: 'created', target_id: id });
    } catch (error) {
      return refused(reply, error);
    }
  });

  app.put('/api/v1/forwarding/targets/:id', { schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    try {
      return reply.code(200).send({ status: 'updated', target_id: targets.replace(id, request.body) });
    } catch (error) {
      return refused(reply, error);
    }
  });

  app.delete('/api/v1/forwarding/targets/:id', { schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    try {
      targets.remove(id);
      return reply.code(200).send({ status: 'deleted', target_id: id });
    } catch (error) {
      return refused(reply, error);
    }
  });
}
