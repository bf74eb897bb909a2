// HTTP/1.1 exchanges on raw sockets, for inputs a well-behaved client library would refuse to
// send: invalid bytes, huge headers, lying content-lengths, bodies that stop half-way.
import { connect } from 'node:net';

export interface RawAnswer {
  /** The status code, or 'closed' when the server closed without answering. */
  status: number | 'closed';
  text: string;
  ms: number;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Overrides the content-length header (a lie, for truncated bodies). */
  contentLength?: number;
  /** Half-close after writing (the client gives up sending). */
  endAfterWrite?: boolean;
  timeoutMs?: number;
}

export function rawExchange(port: number, request: RawRequest): Promise<RawAnswer> {
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body);
  const headers = { host: 'gateway', connection: 'close', 'content-length': String(request.contentLength ?? body.length), ...request.headers };
  const head = `${request.method ?? 'POST'} ${request.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n`;
  return new Promise((resolve) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : 'closed', text, ms: Date.now() - started });
      socket.destroy();
    };
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      socket.write(body, () => {
        if (request.endAfterWrite) socket.end();
      });
    });
    const timer = setTimeout(finish, request.timeoutMs ?? 10_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', finish);
    socket.on('close', finish);
  });
}

/** Runs `tasks` with at most `concurrency` in flight; results in order. */
export async function pool<T>(tasks: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  return results;
}

/** A small seeded PRNG (mulberry32): the same cases every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
