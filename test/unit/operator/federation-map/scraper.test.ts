// The scraper against real HTTP servers on loopback: one that answers like a gateway, and the
// ways a gateway can fail (hang, answer without end, refuse, not be there).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { McpServer } from '../../../../src/api/index.js';
import { GatewayScraper } from '../../../../operator/federation-map/scraper.js';

const server = (namespace: string, name: string): McpServer => ({
  apiVersion: 'mcp.tas.ai/v1alpha1',
  kind: 'McpServer',
  metadata: { namespace, name },
  spec: {},
});

let accepted = 0;
let delivered = 0;
const servers: Server[] = [];
const urls: Record<string, string> = {};

async function listen(name: string, handler: Parameters<typeof createServer>[1]): Promise<void> {
  const http = createServer(handler);
  servers.push(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  urls[name] = `http://127.0.0.1:${(http.address() as AddressInfo).port}/metrics`;
}

beforeAll(async () => {
  await listen('gateway', (_request, response) => {
    response.end(
      [
        '# TYPE tas_mcp_events_total counter',
        `tas_mcp_events_total{method="http",status="success"} ${accepted}`,
        '# TYPE tas_mcp_forward_events_total counter',
        `tas_mcp_forward_events_total{target="team-b/beta",outcome="delivered"} ${delivered}`,
        '',
      ].join('\n'),
    );
  });
  await listen('hangs', () => {});
  await listen('endless', (_request, response) => {
    const chunk = '# padding '.repeat(1000) + '\n';
    const write = () => {
      while (response.write(chunk));
      response.once('drain', write);
    };
    write();
  });
  await listen('refuses', (_request, response) => {
    response.statusCode = 503;
    response.end('draining');
  });
  await listen('html', (_request, response) => response.end('<html>hello</html>'));
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  urls.closed = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/metrics`;
  await new Promise((resolve) => closed.close(resolve));
});
afterAll(async () => {
  for (const http of servers) {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  }
});

describe('GatewayScraper', () => {
  it('reads each gateway, and gives rates from the second round on', async () => {
    let clock = 10_000;
    const scraper = new GatewayScraper({
      servers: () => [server('team-a', 'alpha')],
      metricsUrls: () => [urls.gateway!],
      intervalMs: 1000,
      timeoutMs: 500,
      maxServers: 10,
      now: () => clock,
    });
    accepted = 4;
    delivered = 2;
    await scraper.round();
    expect(scraper.scrape('team-a/alpha')).toMatchObject({ state: 'ok', answered: 1, gateways: 1, node: { accepted: 4, eventsPerSecond: null } });
    accepted = 24;
    delivered = 12;
    clock += 2000;
    await scraper.round();
    const scrape = scraper.scrape('team-a/alpha')!;
    expect(scrape.node).toMatchObject({ accepted: 24, eventsPerSecond: 10 });
    expect(scrape.targets!.get('team-b/beta')).toMatchObject({ delivered: 12, eventsPerSecond: 5 });
  });

  it('says why a gateway gave nothing: a hang past the timeout, an answer past the size cap, a refusal, no listener, not metrics', async () => {
    const names = ['hangs', 'endless', 'refuses', 'closed', 'html'];
    const scraper = new GatewayScraper({
      servers: () => names.map((name) => server('x', name)),
      metricsUrls: (s) => [urls[s.metadata.name]!],
      intervalMs: 1000,
      timeoutMs: 300,
      maxServers: 10,
      maxBytes: 64 * 1024,
    });
    const started = Date.now();
    await scraper.round();
    expect(Date.now() - started).toBeLessThan(3000);
    const detail = (name: string) => scraper.scrape(`x/${name}`);
    expect(detail('hangs')).toMatchObject({ state: 'failed', detail: 'timed out after 300 ms', answered: 0 });
    expect(detail('endless')).toMatchObject({ state: 'failed', detail: `answered more than ${64 * 1024} bytes` });
    expect(detail('refuses')).toMatchObject({ state: 'failed', detail: 'answered 503' });
    expect(detail('closed')).toMatchObject({ state: 'failed', detail: 'unreachable: ECONNREFUSED' });
    expect(detail('html')!.detail).toMatch(/not a TAS MCP gateway|not Prometheus text/);
  });

  it('reads at most maxServers servers per round, and says so for the rest; a server without a known gateway says that', async () => {
    const scraper = new GatewayScraper({
      servers: () => [server('b', 'two'), server('a', 'one'), server('c', 'three')],
      metricsUrls: (s) => (s.metadata.name === 'two' ? [] : [urls.gateway!]),
      intervalMs: 1000,
      timeoutMs: 500,
      maxServers: 2,
    });
    await scraper.round();
    expect(scraper.scrape('a/one')!.state).toBe('ok');
    expect(scraper.scrape('b/two')).toMatchObject({ state: 'no_gateway', detail: 'no gateway address known yet' });
    expect(scraper.scrape('c/three')).toMatchObject({ state: 'skipped', detail: 'not read: more than MAP_MAX_SERVERS (2) servers' });
  });

  it('adds up several gateways of one server, and reports a partial read', async () => {
    const scraper = new GatewayScraper({
      servers: () => [server('a', 'replicated')],
      metricsUrls: () => [urls.gateway!, urls.gateway!.replace('/metrics', '/metrics?pod=2'), urls.refuses!],
      intervalMs: 1000,
      timeoutMs: 500,
      maxServers: 5,
    });
    accepted = 3;
    await scraper.round();
    expect(scraper.scrape('a/replicated')).toMatchObject({
      state: 'partial',
      answered: 2,
      gateways: 3,
      detail: 'answered 503',
      node: { accepted: 6 },
    });
  });

  it('forgets servers that are gone', async () => {
    let list = [server('a', 'one'), server('a', 'two')];
    const scraper = new GatewayScraper({ servers: () => list, metricsUrls: () => [urls.gateway!], intervalMs: 1000, timeoutMs: 500, maxServers: 5 });
    await scraper.round();
    list = [server('a', 'two')];
    await scraper.round();
    expect(scraper.scrape('a/one')).toBeUndefined();
    expect(scraper.scrape('a/two')!.state).toBe('ok');
  });

  it('runs a round every interval once started, and stops at once, even in the middle of a read', async () => {
    let rounds = 0;
    const scraper = new GatewayScraper({
      servers: () => [server('x', 'hangs')],
      metricsUrls: () => [urls.hangs!],
      intervalMs: 100,
      timeoutMs: 60,
      maxServers: 5,
      onRound: () => rounds++,
    });
    scraper.start();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(rounds).toBeGreaterThanOrEqual(2);
    const stopping = Date.now();
    await scraper.stop();
    expect(Date.now() - stopping).toBeLessThan(1000); // not the 60 ms timeout plus a 100 ms pause per round left
    const after = rounds;
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(rounds).toBe(after);
  });
});
