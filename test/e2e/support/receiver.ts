// A real HTTP server standing in for a forwarding target (a peer, an Argo webhook EventSource,
// a dead-letter sink): records what it receives and answers as the test scripts it to.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
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
  received: Received[];
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

export async function startReceiver(answer: Receiver['answer'] = () => ({ status: 200 }), port = 0): Promise<Receiver> {
  const sockets = new Set<Socket>();
  const attempts = new Map<string, number>();
  let server: Server;
  const receiver: Receiver = {
    url: '',
    port,
    received: [],
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

  const handle = (body: string, path: string, headers: IncomingHttpHeaders, response: ServerResponse) => {
    const request: Received = { path, headers, body, id: idOf(body, headers) };
    receiver.received.push(request);
    const attempt = (attempts.get(request.id) ?? 0) + 1;
    attempts.set(request.id, attempt);
    const decided = receiver.answer(request, attempt);
    if ('hang' in decided) return;
    const reply = () => {
      if (decided.status >= 200 && decided.status < 300) receiver.delivered.push(request.id);
      response.writeHead(decided.status, { 'content-type': 'application/json', ...decided.headers });
      response.end(JSON.stringify({ status: decided.status }));
    };
    if (decided.delayMs) setTimeout(reply, decided.delayMs);
    else reply();
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((request, response) => {
        let body = '';
        request.setEncoding('utf8');
        request.on('data', (chunk: string) => (body += chunk));
        request.on('end', () => handle(body, request.url ?? '/', request.headers, response));
      });
      server.keepAliveTimeout = 60_000;
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      server.once('error', reject);
      server.listen(receiver.port, '127.0.0.1', () => {
        const address = server.address();
        receiver.port = typeof address === 'object' && address ? address.port : receiver.port;
        receiver.url = `http://127.0.0.1:${receiver.port}`;
        resolve();
      });
    });
  await listen();
  return receiver;
}
