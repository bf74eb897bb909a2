// Server-sent events carrying the latest map to every open page. Each message is the whole
// graph, so a page that missed some only needs the newest: a client whose socket is full gets
// nothing more until it drains, then the latest message only (one held per client, never a
// queue). Bounded in clients; a comment line every heartbeat keeps idle proxies from closing it.
import type { ServerResponse } from 'node:http';

/** One SSE message; JSON never contains a raw newline, so it fits on one data line. */
const message = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

interface Client {
  response: ServerResponse;
  /** The newest message not yet written because the socket was full. */
  held?: string;
  waiting: boolean;
}

export interface SnapshotStreamOptions {
  maxClients: number;
  heartbeatMs?: number;
}

export class SnapshotStream {
  private readonly clients = new Set<Client>();
  private readonly heartbeat: NodeJS.Timeout;
  private last: string | undefined;

  constructor(private readonly options: SnapshotStreamOptions) {
    this.heartbeat = setInterval(() => this.writeAll(': keepalive\n\n'), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  get full(): boolean {
    return this.clients.size >= this.options.maxClients;
  }

  /**
   * Takes over `response` as an event stream and sends it `first` (or else the latest message)
   * at once. Returns false, leaving `response` untouched, when maxClients are already connected.
   */
  accept(response: ServerResponse, first?: { event: string; data: unknown }): boolean {
    if (this.full) return false;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // A reconnecting EventSource waits this long (ms) before trying again.
    response.write('retry: 2000\n\n');
    const client: Client = { response, waiting: false };
    this.clients.add(client);
    response.once('close', () => this.clients.delete(client));
    const opening = first ? message(first.event, first.data) : this.last;
    if (opening) this.write(client, opening);
    return true;
  }

  /** Sends `data` as one `event` message to every client. */
  publish(event: string, data: unknown): void {
    this.last = message(event, data);
    this.writeAll(this.last);
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.response.end();
    this.clients.clear();
  }

  private writeAll(text: string): void {
    for (const client of this.clients) this.write(client, text);
  }

  private write(client: Client, text: string): void {
    if (client.waiting) {
      if (!text.startsWith(':')) client.held = text;
      return;
    }
    if (client.response.write(text)) return;
    client.waiting = true;
    client.response.once('drain', () => {
      client.waiting = false;
      const held = client.held;
      client.held = undefined;
      if (held) this.write(client, held);
    });
  }
}
