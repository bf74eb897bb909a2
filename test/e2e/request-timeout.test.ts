// A request whose body stalls is answered 408 (and the connection closed) within a bounded time
// after REQUEST_TIMEOUT, on a raw socket that sends the headers and half of the body.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';

let gateway: GatewayProcess;
beforeAll(async () => {
  gateway = await startGateway({ env: { REQUEST_TIMEOUT: '1s' } });
});
afterAll(async () => {
  await gateway.stop();
});

/** Sends `head` then `partial` of the body and waits; resolves with what came back and when. */
function stall(port: number, head: string, partial: string): Promise<{ answer: string; afterMs: number; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => socket.write(head + partial));
    let answer = '';
    const watchdog = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer after 15 s; got ${JSON.stringify(answer)}`));
    }, 15_000);
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(watchdog);
      resolve({ answer, afterMs: Date.now() - started, closed: true });
    });
  });
}

describe('a stalled request body', () => {
  it('is answered 408 and closed soon after REQUEST_TIMEOUT, also for the batch route', async () => {
    const body = JSON.stringify({ event_id: 'slow', event_type: 't', source: 's', data: JSON.stringify({ pad: 'x'.repeat(800) }) });
    for (const path of ['/mcp', '/api/v1/events', '/api/v1/events/batch']) {
      const head = `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
      const result = await stall(gateway.ports.http, head, body.slice(0, body.length / 2));
      expect(result.answer, path).toMatch(/^HTTP\/1\.1 408/);
      expect(result.afterMs, path).toBeGreaterThanOrEqual(900);
      expect(result.afterMs, path).toBeLessThan(3500);
    }
  });

  it('also when the headers themselves never finish', async () => {
    const result = await stall(gateway.ports.http, 'POST /mcp HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n', '');
    expect(result.answer).toMatch(/^HTTP\/1\.1 408/);
    expect(result.afterMs).toBeLessThan(3500);
  });

  it('the gateway keeps serving afterwards', async () => {
    const response = await fetch(`${gateway.httpUrl}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event_id: 'after', event_type: 't', source: 's', data: '{}' }),
    });
    expect(response.status).toBe(200);
  });
});
