// HTTP peers that are not our gateways, standing in for what federation meets in the field:
// - the Go reference server's HTTP API, as its internal/http/server.go reads and answers:
//   POST /mcp takes only the legacy {id, data} (our full event has no `id`, so it answers 500),
//   POST /api/v1/events the full event, POST /api/v1/events/batch a JSON array answered
//   {processed, results: [{event_id, status: "accepted"} | {event_id, status: "error", error}]};
//   no Content-Type is required anywhere.
// - `legacyOnly`: a seed-000 receiver that has nothing but POST /mcp with {id, data}.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface ReferencePeer {
  url: string;
  /** Events stored, by id, in order (duplicates kept). */
  stored: { id: string; type: string; via: string }[];
  requests: { method: string; path: string; contentType: string | undefined; status: number }[];
  close(): Promise<void>;
}

interface EventRequest {
  event_id?: string;
  event_type?: string;
  source?: string;
  data?: string;
}

/** The reference's validation (internal/grpc/server.go validateEventData), as gRPC errors in text. */
function invalid(event: EventRequest): string | undefined {
  if (!event.event_id) return 'rpc error: code = InvalidArgument desc = event ID cannot be empty';
  if (!event.event_type) return 'rpc error: code = InvalidArgument desc = event type cannot be empty';
  if (!event.source) return 'rpc error: code = InvalidArgument desc = event source cannot be empty';
  if (!event.data) return 'rpc error: code = InvalidArgument desc = event data cannot be empty';
  return undefined;
}

export async function startReferencePeer(options: { legacyOnly?: boolean } = {}): Promise<ReferencePeer> {
  const peer: ReferencePeer = { url: '', stored: [], requests: [], close: async () => {} };
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const answer = (status: number, payload: unknown, headers: IncomingHttpHeaders = {}) => {
        peer.requests.push({ method: request.method ?? '', path: request.url ?? '', contentType: request.headers['content-type'], status });
        const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
        response.writeHead(status, { 'content-type': typeof payload === 'string' ? 'text/plain' : 'application/json', ...headers });
        response.end(text);
      };
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        answer(400, 'Invalid JSON payload\n');
        return;
      }
      const path = request.url ?? '';
      if (request.method === 'POST' && path === '/mcp') {
        const legacy = parsed as { id?: string; data?: string };
        if (!legacy.id || !legacy.data) {
          answer(500, 'Failed to process event\n');
          return;
        }
        peer.stored.push({ id: legacy.id, type: 'legacy.event', via: path });
        answer(200, { status: 'accepted' });
        return;
      }
      if (options.legacyOnly) {
        answer(404, '404 page not found\n');
        return;
      }
      if (request.method === 'POST' && path === '/api/v1/events') {
        const event = parsed as EventRequest;
        const problem = invalid(event);
        if (problem) {
          answer(400, `${problem.replace(/^.*desc = /, '')}\n`);
          return;
        }
        peer.stored.push({ id: event.event_id!, type: event.event_type!, via: path });
        answer(200, { event_id: event.event_id, status: 'accepted' });
        return;
      }
      if (request.method === 'POST' && path === '/api/v1/events/batch') {
        if (!Array.isArray(parsed)) {
          answer(400, 'Invalid JSON payload\n');
          return;
        }
        if (parsed.length > 1000) {
          answer(413, 'Too many events (max 1000)\n');
          return;
        }
        const results = (parsed as EventRequest[]).map((event) => {
          const problem = invalid(event);
          if (problem) return { event_id: event.event_id ?? '', status: 'error', error: problem };
          peer.stored.push({ id: event.event_id!, type: event.event_type!, via: path });
          return { event_id: event.event_id, status: 'accepted' };
        });
        answer(200, { processed: results.length, results });
        return;
      }
      answer(404, '404 page not found\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  peer.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  peer.close = () => new Promise((resolve) => server.close(() => resolve()));
  return peer;
}
