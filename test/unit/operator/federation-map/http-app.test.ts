// The map's HTTP server: the page and its module with the browser protections, Cytoscape.js from
// node_modules, the graph, a server's details, and the event stream (over a real socket).
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMapAssets } from '../../../../operator/federation-map/assets.js';
import type { FederationGraph } from '../../../../operator/federation-map/graph.js';
import { createMapApp } from '../../../../operator/federation-map/http-app.js';
import type { ServerDetails } from '../../../../operator/federation-map/server-details.js';
import { SnapshotStream } from '../../../../operator/federation-map/snapshot-stream.js';

const graph: FederationGraph = { at: 1, nodes: [{ id: 'team-a/alpha', kind: 'server' }], edges: [] };
const assets = loadMapAssets();
const streams: SnapshotStream[] = [];
afterEach(() => {
  for (const stream of streams.splice(0)) stream.close();
});

function app(maxClients = 2) {
  const stream = new SnapshotStream({ maxClients });
  streams.push(stream);
  const asked: string[] = [];
  const instance = createMapApp({
    assets,
    graph: () => graph,
    stream,
    details: async (namespace, name) => {
      asked.push(`${namespace}/${name}`);
      return name === 'alpha' ? ({ id: `${namespace}/${name}`, events: [] } as unknown as ServerDetails) : undefined;
    },
  });
  return { instance, stream, asked };
}

/** Reads an event stream until `until` matches what arrived. */
async function readStream(url: string, until: (text: string) => boolean): Promise<{ status: number; text: string; close: () => void }> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  let text = '';
  if (response.ok) {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    while (!until(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
  } else text = await response.text();
  return { status: response.status, text, close: () => controller.abort() };
}

describe('the map HTTP server', () => {
  it('serves the page, its module and Cytoscape.js, with a policy that lets the page load only its own files', async () => {
    const { instance } = app();
    const page = await instance.inject('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<script type="module" src="/map.js"></script>');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'; connect-src 'self'/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const module = await instance.inject('/map.js');
    expect(module.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(module.body).toContain("from '/vendor/cytoscape.esm.min.mjs'");
    const cytoscape = await instance.inject('/vendor/cytoscape.esm.min.mjs');
    expect(cytoscape.statusCode).toBe(200);
    expect(cytoscape.body.length).toBeGreaterThan(100_000);
    expect(cytoscape.body).toMatch(/export\s*\{[^}]*as default/);
    expect((await instance.inject('/nothing-here')).statusCode).toBe(404);
  });

  it("answers the graph as JSON, and one server's details; a bad or unknown name is 400 or 404", async () => {
    const { instance, asked } = app();
    expect((await instance.inject('/api/graph')).json()).toEqual(graph);
    expect((await instance.inject('/api/servers/team-a/alpha')).json()).toEqual({ id: 'team-a/alpha', events: [] });
    const unknown = await instance.inject('/api/servers/team-a/nobody');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toBe('no McpServer team-a/nobody');
    const bad = await instance.inject('/api/servers/Team_A/alpha');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/namespace and name/);
    expect(asked).toEqual(['team-a/alpha', 'team-a/nobody']);
  });

  it('streams the graph at once and every update after it, and refuses clients over MAP_MAX_CLIENTS', async () => {
    const { instance, stream } = app(1);
    await instance.listen({ host: '127.0.0.1', port: 0 });
    try {
      const url = `http://127.0.0.1:${(instance.server.address() as AddressInfo).port}/api/stream`;
      const first = await readStream(url, (text) => text.includes('\n\n') && text.includes('event: graph'));
      expect(first.status).toBe(200);
      expect(first.text).toContain(`event: graph\ndata: ${JSON.stringify(graph)}\n\n`);
      const refused = await readStream(url, () => true);
      expect(refused.status).toBe(503);
      expect(refused.text).toContain('MAP_MAX_CLIENTS');
      first.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(stream.size).toBe(0);
      const second = readStream(url, (text) => text.includes('"at":2'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      stream.publish('graph', { ...graph, at: 2 });
      const { text, close } = await second;
      expect(text).toContain('event: graph\ndata: {"at":2');
      close();
    } finally {
      await instance.close();
    }
  });
});
