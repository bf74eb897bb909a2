// Event ingest over HTTP: POST /mcp (legacy {id, data} or the full event), POST /api/v1/events
// and POST /api/v1/events/batch (each event answered on its own), all answered 200 like the Go
// reference server; any other method on these paths is 405 with Allow: POST.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TraceCarrier } from '../../../src/event/index.js';
import { batchItemResult, batchSummary } from '../../ingest/batch-results.js';
import { isFailure, type IngestFailure, type IngestService } from '../../ingest/ingest-service.js';
import { claimedEventId, sendFailure } from './replies.js';

/** The paths that take events: a body refused before them counts as a rejected event. */
export const INGEST_PATHS = ['/mcp', '/api/v1/events', '/api/v1/events/batch'] as const;

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

const batchResultSchema = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    error: { type: 'string' },
    field: { type: 'string' },
    message: { type: 'string' },
    processed: { type: 'integer' },
    accepted: { type: 'integer' },
    duplicates: { type: 'integer' },
    rejected: { type: 'integer' },
    refused: { type: 'integer' },
    event_ids: { type: 'array', items: { type: 'string' } },
    results: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          event_id: { type: 'string' },
          status: { type: 'string' },
          error: { type: 'string' },
          field: { type: 'string' },
          message: { type: 'string' },
          retry_after: { type: 'integer' },
        },
      },
    },
  },
};

export async function eventRoutes(app: FastifyInstance, options: EventRoutesOptions): Promise<void> {
  const { ingest } = options;

  const ingestOne = async (request: FastifyRequest, reply: FastifyReply) => {
    const outcome = await ingest.ingest(request.body, 'http', { caller: request.caller, trace: request.headers as TraceCarrier });
    if (isFailure(outcome)) return sendFailure(reply, outcome, claimedEventId(request.body));
    return reply.code(200).send({ event_id: outcome.event.event_id, status: outcome.status });
  };

  const single = { bodyLimit: options.eventBodyLimit, schema: { response: { 200: acceptedSchema, '4xx': failureSchema, '5xx': failureSchema } } };
  app.post('/mcp', single, ingestOne);
  app.post('/api/v1/events', single, ingestOne);

  // GET /mcp and the like: the path exists, the method does not (HEAD comes with GET).
  for (const url of INGEST_PATHS) {
    app.route({
      method: ['GET', 'PUT', 'DELETE', 'PATCH'],
      url,
      handler: async (request, reply) =>
        reply
          .code(405)
          .header('allow', 'POST')
          .send({ status: 'rejected', error: 'method_not_allowed', message: `${request.method} ${url}: only POST is allowed` }),
    });
  }

  // Each event answered on its own (results[], in request order): 200 when any was taken; when
  // none was, the status the first failure would have alone (400, 401/403, 429 or 503 with Retry-After).
  app.post(
    '/api/v1/events/batch',
    { bodyLimit: options.batchBodyLimit, schema: { response: { '2xx': batchResultSchema, '4xx': batchResultSchema, '5xx': batchResultSchema } } },
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
          message: `events: a batch holds 1 to ${options.maxBatchSize} events (MAX_BATCH_SIZE, at most BUFFER_SIZE), got ${events.length}`,
        });
      }
      const outcomes = await ingest.ingestBatch(events, 'http', { caller: request.caller, trace: request.headers as TraceCarrier });
      const results = outcomes.map((outcome, i) => batchItemResult(outcome, events[i]));
      const summary = batchSummary(results);
      const taken = summary.accepted + summary.duplicates;
      if (taken === 0) {
        const first = outcomes[0] as IngestFailure;
        return sendFailure(reply, first, undefined, summary);
      }
      return reply.code(200).send({ status: taken === results.length ? 'accepted' : 'partial', ...summary });
    },
  );
}
