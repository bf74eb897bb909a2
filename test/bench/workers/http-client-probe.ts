// The HTTP client comparison behind the gateway's choice (issue 12): the gateway's own client
// (gateway/forwarding/http-client.ts, undici's Pool) against node:http with a keep-alive Agent
// (how forwarding posted before), each posting `requests` small single-event requests,
// `concurrency` at a time, to a bare fastify on the server core. Reports this process's CPU per
// request, the rate and the latency.
import http from 'node:http';
import { createHttpClient } from '../../../gateway/forwarding/http-client.js';
import { monotonicMicros } from '../lib/clock.js';
import { serve } from '../lib/messages.js';
import { Histogram } from '../lib/stats.js';

export interface HttpClientProbeReport {
  client: 'undici' | 'node:http';
  requests: number;
  failed: number;
  seconds: number;
  cpuSeconds: number;
  latency: ReturnType<Histogram['toJSON']>;
}

type Post = (body: string) => Promise<boolean>;

/** node:http as forwarding used it before undici: a keep-alive Agent, a deadline timer, the answer read up to a bound. */
function nodeHttpPoster(url: URL, concurrency: number): { post: Post; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, keepAliveMsecs: 30_000 });
  return {
    post: (body) =>
      new Promise((resolve) => {
        let settled = false;
        const settle = (ok: boolean) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(ok);
        };
        const request = http.request(url, {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        });
        const timer = setTimeout(() => {
          request.destroy(new Error('no answer within 10000 ms'));
          settle(false);
        }, 10_000);
        request.on('response', (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            if (text.length < 512) text += chunk;
          });
          response.on('end', () => settle(response.statusCode === 200));
        });
        request.on('error', () => settle(false));
        request.end(body);
      }),
    close: () => agent.destroy(),
  };
}

function undiciPoster(url: URL, concurrency: number): { post: Post; close(): void } {
  const client = createHttpClient({ origin: url.origin, connections: concurrency });
  return {
    post: async (body) => {
      const outcome = await client.post(url.pathname, { 'content-type': 'application/json' }, body, 10_000, 512);
      return 'status' in outcome && outcome.status === 200;
    },
    close: () => client.close(),
  };
}

async function run(client: HttpClientProbeReport['client'], url: URL, requests: number, concurrency: number): Promise<HttpClientProbeReport> {
  const poster = client === 'undici' ? undiciPoster(url, concurrency) : nodeHttpPoster(url, concurrency);
  const body = JSON.stringify({
    event_id: 'probe',
    event_type: 'bench.client',
    source: 'bench',
    data: JSON.stringify({ kind: 'bench', values: [1, 2, 3] }),
  });
  const exchange = async (count: number, latency?: Histogram) => {
    let next = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < count) {
          const started = monotonicMicros();
          if (!(await poster.post(body))) failed++;
          latency?.record(monotonicMicros() - started);
        }
      }),
    );
    return failed;
  };
  await exchange(Math.min(2000, requests)); // warm-up: JIT, connections
  const latency = new Histogram();
  const cpuBefore = process.cpuUsage();
  const started = monotonicMicros();
  const failed = await exchange(requests, latency);
  const seconds = (monotonicMicros() - started) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  poster.close();
  return { client, requests, failed, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, latency: latency.toJSON() };
}

serve(async (message) => {
  if (message.cmd === 'run') {
    const { client, url, requests, concurrency } = message as unknown as {
      client: HttpClientProbeReport['client'];
      url: string;
      requests: number;
      concurrency: number;
    };
    return run(client, new URL(url), requests, concurrency);
  }
  if (message.cmd === 'close') return {};
  throw new Error(`unknown command ${message.cmd}`);
});
