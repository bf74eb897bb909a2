// Delivery over HTTP with pooled keep-alive connections: POST /mcp with the event as JSON to MCP
// gateways, or a binary-mode CloudEvent to webhook receivers (Argo EventSources, Knative).
import http from 'node:http';
import https from 'node:https';
import { KEY_ID_KEY, toBinaryCloudEvent, type McpEvent } from '../../src/event/index.js';
import { PEER_HEADER } from '../auth/caller.js';
import type { RetryOnEntry } from '../../src/config/retry-on.js';
import { classifyAttempt, compileRetryOn, parseRetryAfter, type AttemptAnswer } from './retry-policy.js';
import type { Sender, SendResult } from './sender.js';

export interface HttpSenderOptions {
  url: string;
  format: 'mcp' | 'cloudevents';
  /** Connections kept to the target; the concurrency limit. */
  maxSockets: number;
  /** Statuses worth another attempt; unset = the defaults. */
  retryOn?: readonly RetryOnEntry[] | undefined;
}

/** Longest answer body we read, for the error message of a refusal. */
const MAX_ERROR_BODY = 512;

export function createHttpSender(options: HttpSenderOptions): Sender {
  const url = new URL(options.url);
  if (options.format === 'mcp' && (url.pathname === '/' || url.pathname === '')) url.pathname = '/mcp';
  const client = url.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets: options.maxSockets, keepAliveMsecs: 30_000 });
  const rules = compileRetryOn(options.retryOn);

  function encode(event: McpEvent): { headers: Record<string, string>; body: string } {
    if (options.format === 'cloudevents') return toBinaryCloudEvent(event);
    const keyId = event.metadata[KEY_ID_KEY];
    // A signed event is its own credential at a peer that requires them (see auth/caller.ts).
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(keyId ? { [PEER_HEADER]: keyId } : {}) };
    return { headers, body: JSON.stringify(event) };
  }

  return {
    send(event, timeoutMs) {
      const { headers, body } = encode(event);
      return new Promise<SendResult>((resolve) => {
        let settled = false;
        const settle = (answer: AttemptAnswer) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(classifyAttempt(answer, rules));
        };
        const request = client.request(url, {
          method: 'POST',
          agent,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        });
        const timer = setTimeout(() => {
          request.destroy(new Error(`no answer within ${timeoutMs} ms`));
          settle({ protocol: 'none', status: 'timeout', error: `no answer within ${timeoutMs} ms` });
        }, timeoutMs);
        request.on('response', (response) => {
          const status = response.statusCode ?? 0;
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            if (text.length < MAX_ERROR_BODY) text += chunk;
          });
          response.on('error', () => {});
          response.on('end', () => {
            const error = `HTTP ${status}${text ? `: ${text.slice(0, MAX_ERROR_BODY)}` : ''}`;
            settle({ protocol: 'http', status, error, retryAfterMs: parseRetryAfter(response.headers['retry-after']) });
          });
        });
        request.on('error', (error: NodeJS.ErrnoException) => {
          settle({ protocol: 'none', status: error.code ?? 'connection_error', error: error.message });
        });
        request.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
