// POSTs to one forwarding target over pooled keep-alive connections (node:http / node:https),
// each with a deadline; the answer's body is read up to a bound. Errors are answers too: a
// connection that fails or a deadline that passes resolves, never rejects.
import http from 'node:http';
import https from 'node:https';
import { describeTlsError, type ClientTls } from './client-tls.js';

export interface PostResult {
  status: number;
  retryAfter?: string | undefined;
  /** The body, at most `maxBody` characters of it. */
  body: string;
}

export type PostOutcome = PostResult | { failed: true; code: string; error: string };

export interface HttpClient {
  post(path: string, headers: Record<string, string>, body: string, timeoutMs: number, maxBody: number): Promise<PostOutcome>;
  close(): void;
}

export interface HttpClientOptions {
  /** The target's origin: http(s)://host:port. */
  origin: string;
  /** Connections kept to it: the requests in flight at once. */
  connections: number;
  tls?: ClientTls | undefined;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const origin = new URL(options.origin);
  const secure = origin.protocol === 'https:';
  const transport = secure ? https : http;
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: options.connections, keepAliveMsecs: 30_000, ...options.tls })
    : new http.Agent({ keepAlive: true, maxSockets: options.connections, keepAliveMsecs: 30_000 });

  return {
    post(path, headers, body, timeoutMs, maxBody) {
      return new Promise<PostOutcome>((resolve) => {
        let settled = false;
        const settle = (outcome: PostOutcome) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(outcome);
        };
        const request = transport.request({
          protocol: origin.protocol,
          hostname: origin.hostname,
          port: origin.port,
          path,
          method: 'POST',
          agent,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        });
        const timer = setTimeout(() => {
          request.destroy(new Error(`no answer within ${timeoutMs} ms`));
          settle({ failed: true, code: 'timeout', error: `no answer within ${timeoutMs} ms` });
        }, timeoutMs);
        request.on('response', (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            if (text.length < maxBody) text += chunk;
          });
          response.on('error', () => {});
          response.on('end', () => {
            const retryAfter = response.headers['retry-after'];
            settle({ status: response.statusCode ?? 0, retryAfter, body: text.slice(0, maxBody) });
          });
        });
        request.on('error', (error: NodeJS.ErrnoException) => {
          settle({ failed: true, code: error.code ?? 'connection_error', error: describeTlsError(error) ?? error.message });
        });
        request.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
