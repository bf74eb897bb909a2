// The dead-letter API: GET /api/v1/dlq lists what could not be delivered and why;
// POST /api/v1/dlq/redrive sends letters to their target again, with fresh attempts.
import type { FastifyInstance } from 'fastify';
import type { DeadLetters } from '../../forwarding/dead-letters.js';
import type { Forwarder } from '../../forwarding/forwarder.js';

export interface DlqRoutesOptions {
  deadLetters: DeadLetters;
  forwarder: Forwarder;
}

const MAX_PAGE = 1000;

const listQuery = {
  type: 'object',
  properties: {
    target: { type: 'string', maxLength: 256 },
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 100 },
  },
  additionalProperties: false,
};

const redriveBody = {
  type: 'object',
  properties: {
    ids: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: MAX_PAGE },
    target: { type: 'string', maxLength: 256 },
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: MAX_PAGE },
  },
  additionalProperties: false,
};

export async function dlqRoutes(app: FastifyInstance, { deadLetters, forwarder }: DlqRoutesOptions): Promise<void> {
  app.get('/api/v1/dlq', { schema: { querystring: listQuery } }, async (request) => {
    const { target, limit } = request.query as { target?: string; limit: number };
    const [summary, letters] = await Promise.all([deadLetters.summary(), deadLetters.list({ target }, limit)]);
    return { held: summary.held, evicted: summary.evicted ?? null, letters };
  });

  app.post('/api/v1/dlq/redrive', { schema: { body: redriveBody } }, async (request, reply) => {
    const { ids, target, limit } = (request.body ?? {}) as { ids?: string[]; target?: string; limit: number };
    const result = await forwarder.redrive({ ids, target }, limit);
    return reply.code(202).send({ status: 'accepted', redriven: result.redriven, unknown_target: result.unknownTarget });
  });
}
