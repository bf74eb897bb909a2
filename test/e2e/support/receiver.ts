// A real HTTP server standing in for a forwarding target (a peer, an Argo webhook EventSource,
// a dead-letter sink): records what it receives and answers as the test scripts it to. It speaks
// the batch route as our gateways do (POST /api/v1/events/batch, answered per event), so a
// script answers each event, batched or not; `batchRoute: false` makes it a receiver without one (404).
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** event_id of an MCP JSON body, or ce-id of a CloudEvent. */
  id: string;
}

/** What to answer; `hang: true` never answers. */
export type Answer = { status: number; headers?: Record<string, string>; delayMs?: number } | { hang: true };

export interface Receiver {
  url: string;
  port: number;
  /** Every event received (each event of a batch on its own), in order. */
  received: Received[];
  /** Requests received, with how many events each carried. */
  requests: { path: string; events: number }[];
  /** Ids answered 2xx (delivered). */
  delivered: string[];
  answer: (request: Received, attempt: number) => Answer;
  /** Closes the port and drops every connection, as a crashed process would. */
  crash(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

function idOf(body: string, headers: IncomingHttpHeaders): string {
  if (typeof headers['ce-id'] === 'string') return decodeURIComponent(headers['ce-id']);
  try {
    const parsed = JSON.parse(body) as { event_id?: string };
    return parsed.event_id ?? '';
  } catch {
    return '';
  }
}

/** The dead letters a dead-letter sink received ({"dead_letters": [...]} per request). */
export function deadLettersIn(receiver: Receiver): { reason: string; target: string; event: { event_id: string } }[] {
  return receiver.received.flatMap((r) => (JSON.parse(r.body) as { dead_letters: never[] }).dead_letters);
}

/** One event of a batch as our gateways answer it, for the status the script chose. */
function itemResult(id: string, status: number, headers: Record<string, string> = {}) {
  if (status >= 200 && status < 300) return { event_id: id, status: 'accepted' };
  const rejected: Record<number, string> = { 400: 'invalid', 413: 'too_large', 401: 'bad_signature', 403: 'tenant_mismatch' };
  if (rejected[status]) return { event_id: id, status: 'rejected', error: rejected[status], message: `HTTP ${status}` };
  if (status === 429 || status === 503) {
    const retryAfter = Number(headers['retry-after'] ?? 1);
    return {
      event_id: id,
      status: 'refused',
      error: status === 429 ? 'buffer_full' : 'unavailable',
      message: `HTTP ${status}`,
      retry_after: retryAfter,
    };
  }
  return { event_id: id, status: 'error', error: `HTTP ${status}` };
}

export const BATCH_PATH = '/api/v1/events/batch';

export interface ReceiverOptions {
  /** Answer the batch route per event (true, the default) or 404 it, as a receiver without one. */
  batchRoute?: boolean;
  /** Serve HTTPS with this certificate; with `ca`, require client certificates it signed (mutual TLS). */
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer };
}

export async function startReceiver(
  answer: Receiver['answer'] = () => ({ status: 200 }),
  port = 0,
  receiverOptions: ReceiverOptions = {},
): Promise<Receiver> {
  const options = { batchRoute: true, ...receiverOptions };
  const sockets = new Set<Socket>();
  const attempts = new Map<string, number>();
  let server: Server;
  const receiver: Receiver = {
    url: '',
    port,
    received: [],
    requests: [],
    delivered: [],
    answer,
    async crash() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async restart() {
      await listen();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const answerFor = (request: Received) => {
    const attempt = (attempts.get(request.id) ?? 0) + 1;
    attempts.set(request.id, attempt);
    return receiver.answer(request, attempt);
  };

  const handle = (body: string, path: string, headers: IncomingHttpHeaders, response: ServerResponse) => {
    if (path === BATCH_PATH) {
      handleBatch(body, path, headers, response);
      return;
    }
    const request: Received = { path, headers, body, id: idOf(body, headers) };
    receiver.requests.push({ path, events: 1 });
    receiver.received.push(request);
    const decided = answerFor(request);
    if ('hang' in decided) return;
    const reply = () => {
      if (decided.status >= 200 && decided.status < 300) receiver.delivered.push(request.id);
      response.writeHead(decided.status, { 'content-type': 'application/json', ...decided.headers });
      response.end(JSON.stringify({ status: decided.status }));
    };
    if (decided.delayMs) setTimeout(reply, decided.delayMs);
    else reply();
  };

  /** A batch: each event answered by the script; one status for all is the request's, mixed ones are answered per event. */
  const handleBatch = (body: string, path: string, headers: IncomingHttpHeaders, response: ServerResponse) => {
    if (!options.batchRoute) {
      receiver.requests.push({ path, events: 0 });
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('404 page not found');
      return;
    }
    const events = JSON.parse(body) as { event_id: string }[];
    receiver.requests.push({ path, events: events.length });
    const decisions = events.map((event) => {
      const request: Received = { path, headers, body: JSON.stringify(event), id: event.event_id };
      receiver.received.push(request);
      return { id: event.event_id, decided: answerFor(request) };
    });
    if (decisions.some((d) => 'hang' in d.decided)) return;
    const answers = decisions.map((d) => ({ id: d.id, ...(d.decided as Exclude<Answer, { hang: true }>) }));
    const reply = () => {
      for (const a of answers) if (a.status >= 200 && a.status < 300) receiver.delivered.push(a.id);
      const statuses = new Set(answers.map((a) => a.status));
      const whole = statuses.size === 1 ? answers[0]!.status : 200;
      const results = answers.map((a) => itemResult(a.id, a.status, a.headers));
      response.writeHead(whole, { 'content-type': 'application/json', ...(statuses.size === 1 ? answers[0]!.headers : {}) });
      response.end(
        JSON.stringify(
          whole >= 200 && whole < 300
            ? { processed: results.length, results }
            : { status: whole, results: statuses.size === 1 && whole >= 500 ? undefined : results },
        ),
      );
    };
    const delay = Math.max(0, ...answers.map((a) => a.delayMs ?? 0));
    if (delay > 0) setTimeout(reply, delay);
    else reply();
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const onRequest = (request: IncomingMessage, response: ServerResponse) => {
        let body = '';
        request.setEncoding('utf8');
        request.on('data', (chunk: string) => (body += chunk));
        request.on('end', () => handle(body, request.url ?? '/', request.headers, response));
      };
      const { tls } = options;
      server = tls
        ? createHttpsServer(
            { cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}) },
            onRequest,
          )
        : createServer(onRequest);
      server.keepAliveTimeout = 60_000;
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      server.once('error', reject);
      server.listen(receiver.port, '127.0.0.1', () => {
        const address = server.address();
        receiver.port = typeof address === 'object' && address ? address.port : receiver.port;
        receiver.url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${receiver.port}`;
        resolve();
      });
    });
  await listen();
  return receiver;
}
