// The gateway's WebSocket endpoint from a real browser (Chromium): a page served here, on another
// origin, opens the socket the way a web app must (credentials as a `bearer.<key>` subprotocol,
// since a browser cannot set headers), receives an event posted over HTTP, and sends one that a
// second client (the `ws` package) receives.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SecretDir, randomKey } from '../support/secrets.js';
import { launchBrowser, keepScreenshot, type TestBrowser } from './support/browser.js';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { eventually, metric, testEvent } from './support/traffic.js';

/** The page: it opens the socket named in its query and keeps what it receives on window. */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>ws test</title></head>
<body><pre id="log"></pre>
<script>
  const params = new URLSearchParams(location.search);
  const socket = new WebSocket(params.get('url'), ['tas-mcp.v1', 'bearer.' + params.get('key')]);
  window.received = [];
  window.socketState = 'connecting';
  socket.onopen = () => { window.socketState = 'open'; window.protocol = socket.protocol; };
  socket.onclose = (event) => { window.socketState = 'closed ' + event.code + ' ' + event.reason; };
  socket.onmessage = (message) => {
    window.received.push(JSON.parse(message.data));
    document.getElementById('log').textContent += message.data + '\\n';
  };
  window.sendEvent = (event) => socket.send(JSON.stringify(event));
</script></body></html>`;

/** What the page keeps on its global object (read inside page.evaluate, where it is `window`). */
interface PageState {
  socketState: string;
  protocol: string;
  received: Record<string, unknown>[];
  sendEvent(event: unknown): void;
}

describe('WebSocket /api/v1/ws from a browser', () => {
  const secrets = new SecretDir();
  const key = randomKey();
  let gateway: GatewayProcess;
  let site: Server;
  let browser: TestBrowser;

  beforeAll(async () => {
    gateway = await startGateway({ env: { AUTH_MODE: 'apiKey', AUTH_API_KEYS_FILE: secrets.write('keys', `${key}\n`) } });
    site = createServer((_request, response) => response.setHeader('content-type', 'text/html; charset=utf-8').end(PAGE));
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    site?.closeAllConnections();
    await new Promise((resolve) => site?.close(resolve));
    await gateway?.stop();
    secrets.remove();
  });

  it('opens with a bearer subprotocol, receives a posted event, and sends one another client receives', async () => {
    const page = await browser.newPage();
    const socketUrl = `ws://127.0.0.1:${gateway.ports.http}/api/v1/ws?event_types=browser.*`;
    const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/?url=${encodeURIComponent(socketUrl)}&key=${encodeURIComponent(key)}`;
    await page.goto(siteUrl);
    await page.waitForFunction(() => (globalThis as unknown as PageState).socketState !== 'connecting', undefined, { timeout: 15_000 });
    expect(await page.evaluate(() => (globalThis as unknown as PageState).socketState)).toBe('open');
    expect(await page.evaluate(() => (globalThis as unknown as PageState).protocol)).toBe('tas-mcp.v1');

    // A second client, outside the browser, to see what the page sends.
    const other = new WebSocket(socketUrl, ['tas-mcp.v1', `bearer.${key}`]);
    const otherFrames: { event_id?: string; source?: string }[] = [];
    other.on('message', (data) => otherFrames.push(JSON.parse(data.toString())));
    await new Promise<void>((resolve, reject) => other.once('open', resolve).once('error', reject));
    await eventually(
      async () => (await metric(gateway, 'tas_mcp_active_connections', { type: 'websocket' })) === 2,
      10_000,
      'both sockets registered',
    );

    const posted = await fetch(`${gateway.httpUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify(testEvent('from-http', 'browser.posted')),
    });
    expect(posted.status).toBe(200);
    await page.waitForFunction(() => (globalThis as unknown as PageState).received.some((f) => f.event_id === 'from-http'), undefined, {
      timeout: 10_000,
    });
    const frame = await page.evaluate(() => (globalThis as unknown as PageState).received.find((f) => f.event_id === 'from-http'));
    expect(frame).toMatchObject({ event_type: 'browser.posted', source: 'e2e', data: JSON.stringify({ id: 'from-http' }) });

    await page.evaluate(
      (event) => (globalThis as unknown as PageState).sendEvent(event),
      testEvent('from-browser', 'browser.sent', { source: 'chromium' }),
    );
    await page.waitForFunction(() => (globalThis as unknown as PageState).received.some((f) => f.status === 'accepted'), undefined, {
      timeout: 10_000,
    });
    expect(await page.evaluate(() => (globalThis as unknown as PageState).received)).toContainEqual({ event_id: 'from-browser', status: 'accepted' });
    await eventually(() => otherFrames.some((f) => f.event_id === 'from-browser'), 10_000, "the other client to receive the browser's event");
    expect(otherFrames.find((f) => f.event_id === 'from-browser')).toMatchObject({ source: 'chromium' });
    other.close();

    await keepScreenshot(page, 'websocket-browser');
    expect(browser.errors).toEqual([]);
  });
});
