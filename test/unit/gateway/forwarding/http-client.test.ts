import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../../gateway/forwarding/http-client.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the forwarding HTTP client', () => {
  it('posts the body with the headers, and answers the status, Retry-After and the body up to its bound', async () => {
    const seen: { path?: string; type?: string; body?: string } = {};
    const origin = await serve((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        Object.assign(seen, { path: request.url, type: request.headers['content-type'], body });
        response.writeHead(429, { 'retry-after': '3' });
        response.end('x'.repeat(100));
      });
    });
    const client = createHttpClient({ origin, connections: 2 });
    expect(await client.post('/api/v1/events/batch', { 'content-type': 'application/json' }, '[1]', 1000, 10)).toEqual({
      status: 429,
      retryAfter: '3',
      body: 'x'.repeat(10),
    });
    expect(seen).toEqual({ path: '/api/v1/events/batch', type: 'application/json', body: '[1]' });
    client.close();
  });

  it("keeps a short deadline exactly (undici's own tick about once a second)", async () => {
    const origin = await serve(() => {});
    const client = createHttpClient({ origin, connections: 1 });
    const started = Date.now();
    expect(await client.post('/', {}, 'x', 150, 100)).toEqual({ failed: true, code: 'timeout', error: 'no answer within 150 ms' });
    expect(Date.now() - started).toBeLessThan(600);
    client.close();
  });

  it('answers a connection that cannot be made with its error code', async () => {
    const origin = await serve(() => {});
    const port = new URL(origin).port;
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
    const client = createHttpClient({ origin: `http://127.0.0.1:${port}`, connections: 1 });
    expect(await client.post('/', {}, 'x', 1000, 100)).toMatchObject({ failed: true, code: 'ECONNREFUSED' });
    client.close();
  });
});
