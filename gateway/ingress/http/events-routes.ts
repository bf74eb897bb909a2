// Event ingest over HTTP: POST /mcp (legacy {id, data} or the full event, answered 200 as the
// seed specifies), POST /api/v1/events (202) and POST /api/v1/events/batch (202, all or nothing).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isFailure, type IngestService } from '../../ingest/ingest-service.js';
import { claimedEventId, sendFailure } from './replies.js';

export interface EventRoutesOptions {
  ingest: IngestService;
  /** Largest body of a single-event request, refused as it streams in. */
  eventBodyLimit: number;
  batchBodyLimit: number;
  maxBatchSize: number;
}

const acceptedSchema = {
  type: 'object',
  properties: { event_id: { type: 'string' }, status: { type: 'string' } },
};

const failureSchema = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    error: { type: 'string' },
    field: { type: 'string' },
    message: { type: 'string' },
    event_id: { type: 'string' },
  },
};

const batchAcceptedSchema = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    accepted: { type: 'integer' },
    duplicates: { type: 'integer' },
    event_ids: { type: 'array', items: { type: 'string' } } },
};

export async function eventRoutes(app: FastifyInstance, options: EventRoutesOptions): Promise<void> {
  const { ingest } = options;

  const ingestOne = (code: 200 | 202) => async (request: FastifyRequest, reply: FastifyReply) => {
    const outcome = await ingest.ingest(request.body, 'http', { caller: request.caller });
    if (isFailure(outcome)) return sendFailure(reply, outcome, claimedEventId(request.body));
    return reply.code(code).send({ event_id: outcome.event.event_id, status: outcome.status });
  };

  app.post('/mcp', { bodyLimit: options.eventBodyLimit, schema: { response: { 200: acceptedSchema, '4xx': failureSchema, '5xx': failureSchema } } }, ingestOne(200));
  app.post('/api/v1/events', { bodyLimit: options.eventBodyLimit, schema: { response: { 202: acceptedSchema, '4xx': failureSchema, '5xx': failureSchema } } }, ingestOne(202));

  app.post(
    '/api/v1/events/batch',
    { bodyLimit: options.batchBodyLimit, schema: { response: { 202: batchAcceptedSchema, '4xx': failureSchema, '5xx': failureSchema } } },
    async (request, reply) => {
      const body = request.body as unknown;
      const events = Array.isArray(body) ? body : (body as { events?: unknown } | null)?.events;
      if (!Array.isArray(events)) {
        return reply.code(400).send({
          status: 'rejected',
          error: 'invalid_batch',
          field: 'events',
          message: 'events: expected a JSON array of events, or {"events": [...]}',
        });
      }
      if (events.length === 0 || events.length > options.maxBatchSize) {
        return reply.code(events.length === 0 ? 400 : 413).send({
          status: 'rejected',
          error: 'invalid_batch',
          field: 'events',
          message: `events: a batch holds 1 to ${options.maxBatchSize} events (MAX_BATCH_SIZE), got ${events.length}`,
        });
      }
      const outcome = await ingest.ingestBatch(events, 'http', { caller: request.caller });
      if (isFailure(outcome)) return sendFailure(reply, outcome);
      return reply.code(202).send({
        status: 'accepted',
        accepted: outcome.events.length - outcome.duplicates,
        duplicates: outcome.duplicates,
        event_ids: outcome.events.map((e) => e.event_id),
      });
    },
  );
}
