// The federation map in a real browser (Chromium), against `make run` as a person runs it: a
// local control plane, the operator and the sample gateways as processes. The page shows the
// sample servers and their links, a posted event moves the counters (and the edge's dashes), a
// server opens onto its conditions and Kubernetes Events, and a peer that is not there, or is
// deleted, shows as an unresolved edge. A screenshot is kept in .run/artifacts/.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/paths.js';
import { keepScreenshot, launchBrowser, type TestBrowser } from './support/browser.js';
import { eventually } from './support/traffic.js';

/** What map.js keeps on window.federationMap (read inside page.evaluate). */
interface MapState {
  federationMap: {
    cy: {
      nodes(): { map<T>(f: (n: { id(): string; data(key: string): string }) => T): T[] };
      edges(): { map<T>(f: (e: { id(): string; data(key: string): string }) => T): T[] };
      getElementById(id: string): { renderedPosition(): { x: number; y: number }; hasClass(name: string): boolean; data(key: string): string };
    };
  };
}

const ALPHA_TO_BETA = 'team-a/alpha->team-b/beta';
const BETA_TO_ALPHA = 'team-b/beta->team-a/alpha';

let run: ChildProcess;
let output = '';
let exited: Promise<number | null>;
let browser: TestBrowser;
let page: Page;
let kubeconfig: string;
let mapUrl: string;
let alphaHttp: number;

const kubectl = (...args: string[]) =>
  execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const text = (selector: string) => page.locator(selector).innerText({ timeout: 5_000 });
const serverCell = (id: string, column: string) => text(`#servers tr[data-id="${id}"] td.${column}`);
const linkCell = (id: string, column: string) => text(`#links tr[data-id="${id}"] td.${column}`);
const until = (check: () => Promise<boolean>, what: string, ms = 20_000) => eventually(async () => check().catch(() => false), ms, what);

beforeAll(async () => {
  run = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/tools/local-run/main.js')], {
    env: { ...process.env, LOG_LEVEL: 'warn', MAP_SCRAPE_INTERVAL: '1s' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  run.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  run.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  exited = new Promise((resolve) => run.once('exit', resolve));
  // A cold control plane on a busy machine can take a minute; the runner itself gives up at 90 s of gateways.
  await eventually(() => output.includes('TAS MCP ready') || run.exitCode !== null, 200_000, 'make run to be ready').catch((error: Error) => {
    throw new Error(`${error.message}; make run said:\n${output}`);
  });
  expect(output, output).toContain('TAS MCP ready');
  mapUrl = /federation map\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)![1]!;
  kubeconfig = /kubeconfig\s+(\S+)/.exec(output)![1]!;
  alphaHttp = Number(/team-a\/alpha\s+http:\/\/127\.0\.0\.1:(\d+)\/mcp/.exec(output)![1]);
  browser = await launchBrowser();
  page = await browser.newPage();
}, 280_000);

afterAll(async () => {
  if (page) await keepScreenshot(page, 'federation-map').catch(() => undefined);
  await browser?.close();
  if (run && run.exitCode === null) {
    run.kill('SIGINT');
    expect(await exited).toBe(0);
  }
}, 60_000);

describe('the federation map in a browser, on make run', () => {
  it('shows the sample servers as nodes and their peers and routes as resolved edges, live', async () => {
    await page.goto(mapUrl);
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 15_000 });
    await until(
      async () => (await serverCell('team-a/alpha', 'ready')) === 'True' && (await serverCell('team-b/beta', 'ready')) === 'True',
      'both servers Ready',
    );
    expect(await serverCell('team-a/alpha', 'replicas')).toBe('1/1');
    expect(await serverCell('team-a/alpha', 'bus')).toBe('memory');
    await until(async () => (await serverCell('team-c/gamma', 'replicas')) === '2/2', "gamma's two replicas ready");
    expect(await serverCell('team-c/gamma', 'bus')).toBe('jetstream');
    await until(async () => (await serverCell('team-a/alpha', 'scrape')) === 'ok', "alpha's metrics read");

    expect(await page.locator(`#links tr[data-id="${ALPHA_TO_BETA}"]`).getAttribute('data-state')).toBe('resolved');
    expect(await linkCell(ALPHA_TO_BETA, 'via')).toBe('peer + route team-a/documents-to-team-b');
    expect(await linkCell(BETA_TO_ALPHA, 'via')).toBe('peer + route team-b/tenant-789-to-team-a');

    // The same, as drawn by Cytoscape.
    const drawn = await page.evaluate(() => {
      const { cy } = (globalThis as unknown as MapState).federationMap;
      return {
        nodes: cy
          .nodes()
          .map((n) => n.id())
          .sort(),
        edges: cy
          .edges()
          .map((e) => `${e.id()} ${e.data('state')}`)
          .sort(),
      };
    });
    // team-c/gamma (two replicas on one JetStream log) has no peers: a node without edges.
    expect(drawn).toEqual({
      nodes: ['team-a/alpha', 'team-b/beta', 'team-c/gamma'],
      edges: [`${ALPHA_TO_BETA} resolved`, `${BETA_TO_ALPHA} resolved`],
    });
  });

  it('moves the counters when an event is posted, and marks the edge it travelled as moving', async () => {
    const accepted = Number(await serverCell('team-a/alpha', 'accepted'));
    const delivered = Number(await linkCell(ALPHA_TO_BETA, 'delivered'));
    const betaAccepted = Number(await serverCell('team-b/beta', 'accepted'));
    const response = await fetch(`http://127.0.0.1:${alphaHttp}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event_id: 'map-1', event_type: 'document.uploaded', source: 'browser-test', data: '{}' }),
    });
    expect(response.status).toBe(200);
    await until(async () => Number(await serverCell('team-a/alpha', 'accepted')) === accepted + 1, "alpha's accepted counter to move");
    // The peer and the route both lead to beta: one delivery per target, so it crosses once.
    await until(async () => Number(await linkCell(ALPHA_TO_BETA, 'delivered')) === delivered + 1, 'the alpha -> beta delivered counter to move');
    await until(async () => Number(await serverCell('team-b/beta', 'accepted')) === betaAccepted + 1, "beta's accepted counter to move");
    expect(
      await page.evaluate((id) => (globalThis as unknown as MapState).federationMap.cy.getElementById(id).hasClass('flowing'), ALPHA_TO_BETA),
    ).toBe(true);
    await keepScreenshot(page, 'federation-map-event');
  });

  it('opens a server on click: its conditions and its recent Kubernetes Events', async () => {
    const box = (await page.locator('#graph').boundingBox())!;
    const at = await page.evaluate(() => (globalThis as unknown as MapState).federationMap.cy.getElementById('team-a/alpha').renderedPosition());
    await page.mouse.click(box.x + at.x, box.y + at.y);
    await page.locator('#details').waitFor({ state: 'visible', timeout: 5_000 });
    expect(await text('#details-title')).toBe('team-a/alpha');
    await page.locator('#details-conditions tr[data-type="Ready"]').waitFor({ timeout: 10_000 });
    expect(await text('#details-conditions tr[data-type="Ready"] td.status')).toBe('True');
    expect(await text('#details-conditions tr[data-type="PeersResolved"] td.reason')).toBe('AllPeersResolved');
    // The gateway records the event it dispatched as a Kubernetes Event about its McpServer;
    // the panel reloads its Events every 10 s.
    await until(
      async () => (await page.locator('#details-events tr[data-reason="EventDispatched"]').count()) > 0,
      'an EventDispatched Event in the panel',
      30_000,
    );
    expect(await page.locator('#details-events-error').isHidden()).toBe(true);
  });

  it('shows a peer that is not there as an unresolved edge, and a deleted peer turns its edge unresolved', async () => {
    // alpha now also peers with team-b/gamma, which does not exist.
    kubectl(
      'patch',
      'mcpserver',
      'alpha',
      '-n',
      'team-a',
      '--type',
      'merge',
      '-p',
      JSON.stringify({
        spec: { peers: [{ serverRef: { name: 'beta', namespace: 'team-b' } }, { serverRef: { name: 'gamma', namespace: 'team-b' } }] },
      }),
    );
    const toGamma = 'team-a/alpha->team-b/gamma';
    await until(
      async () => (await page.locator(`#links tr[data-id="${toGamma}"]`).getAttribute('data-state')) === 'unresolved',
      'the edge to gamma, unresolved',
    );
    expect(await linkCell(toGamma, 'state')).toBe('unresolved: McpServer team-b/gamma not found (PeersResolved: PeerNotFound)');
    expect(await page.evaluate((id) => (globalThis as unknown as MapState).federationMap.cy.getElementById(id).data('kind'), 'team-b/gamma')).toBe(
      'missing',
    );

    // beta is deleted: the edge from alpha to it (the peer and the route) turns unresolved.
    expect(await page.locator(`#links tr[data-id="${ALPHA_TO_BETA}"]`).getAttribute('data-state')).toBe('resolved');
    kubectl('delete', 'mcpserver', 'beta', '-n', 'team-b', '--wait=false');
    await until(
      async () => (await page.locator(`#links tr[data-id="${ALPHA_TO_BETA}"]`).getAttribute('data-state')) === 'unresolved',
      'the edge to the deleted beta, unresolved',
    );
    await until(
      async () =>
        (await page.evaluate((id) => (globalThis as unknown as MapState).federationMap.cy.getElementById(id).data('state'), ALPHA_TO_BETA)) ===
        'unresolved',
      'the drawn edge, unresolved',
    );
    expect(await page.locator(`#links tr[data-id="${BETA_TO_ALPHA}"]`).count()).toBe(0); // beta's own links went with it
    // alpha's panel (still open) follows: PeersResolved is False now, naming both.
    await until(
      async () => (await text('#details-conditions tr[data-type="PeersResolved"] td.status')) === 'False',
      'PeersResolved=False in the panel',
      30_000,
    );
    expect(await text('#details-conditions tr[data-type="PeersResolved"] td.message')).toMatch(
      /team-b\/beta.*team-b\/gamma|team-b\/gamma.*team-b\/beta/,
    );
    await keepScreenshot(page, 'federation-map-unresolved');
    expect(browser.errors).toEqual([]);
  });
});
