// POSTs to one forwarding target over keep-alive connections (undici's Pool: chosen on
// measurement, see README), each with a deadline; the answer's body is read up to a bound.
// Errors are answers too: a connection that fails or a deadline that passes resolves, never rejects.
import { createRequire } from 'node:module';
import type * as Undici from 'undici';
import { describeTlsError, type ClientTls } from './client-tls.js';

// Loaded with the first HTTP target: undici is the largest module the gateway has (about 10 MiB
// of RSS), and a gateway without HTTP targets never needs it.
const require = createRequire(import.meta.url);
let undici: typeof Undici | undefined;
const loadUndici = (): typeof Undici => (undici ??= require('undici') as typeof Undici);

export interface PostResult {
  status: number;
  retryAfter?: string | undefined;
  /** The body, at most `maxBody` characters of it. */
  body: string;
}

export type PostOutcome = PostResult | { failed: true; code: string; error: string };

export interface HttpClient {
  post(path: string, headers: Record<string, string>, body: string | Buffer, timeoutMs: number, maxBody: number): Promise<PostOutcome>;
  close(): void;
}

export interface HttpClientOptions {
  /** The target's origin: http(s)://host:port. */
  origin: string;
  /** Connections kept to it: the requests in flight at once. */
  connections: number;
  tls?: ClientTls | undefined;
}

/** Timeouts shorter than this get an exact timer (undici's tick about once a second). */
const EXACT_BELOW_MS = 10_000;
/** Longest wait for a connection to open (the attempt's timeout applies to the answer). */
const CONNECT_TIMEOUT_MS = 10_000;

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const pool = new (loadUndici().Pool)(options.origin, {
    connections: options.connections,
    keepAliveTimeout: 30_000,
    connectTimeout: CONNECT_TIMEOUT_MS,
    ...(options.tls ? { connect: { ...options.tls } } : {}),
  });

  return {
    async post(path, headers, body, timeoutMs, maxBody): Promise<PostOutcome> {
      // undici's own deadlines are cheap but tick about once a second: fine for long timeouts (the
      // default 30 s); a short one gets an exact timer and an abort signal (which cost about a
      // third of a request's CPU).
      const exact = timeoutMs < EXACT_BELOW_MS ? new AbortController() : undefined;
      const timer = exact && setTimeout(() => exact.abort(), timeoutMs);
      try {
        const response = await pool.request({
          path,
          method: 'POST',
          headers,
          body,
          ...(exact ? { signal: exact.signal } : { headersTimeout: timeoutMs, bodyTimeout: timeoutMs }),
        });
        let text = '';
        for await (const chunk of response.body) {
          if (text.length < maxBody) text += (chunk as Buffer).toString('utf8');
        }
        const retryAfter = response.headers['retry-after'];
        return { status: response.statusCode, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, body: text.slice(0, maxBody) };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (exact?.signal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
          return { failed: true, code: 'timeout', error: `no answer within ${timeoutMs} ms` };
        }
        if (code === 'UND_ERR_CONNECT_TIMEOUT')
          return { failed: true, code: 'connect_timeout', error: `no connection within ${CONNECT_TIMEOUT_MS} ms` };
        // undici wraps socket errors; the cause carries the system or TLS code.
        const failure = ((error as { cause?: unknown }).cause ?? error) as NodeJS.ErrnoException;
        return { failed: true, code: failure.code ?? 'connection_error', error: describeTlsError(failure) ?? failure.message };
      } finally {
        clearTimeout(timer);
      }
    },
    close() {
      pool.destroy().catch(() => undefined);
    },
  };
}
