import { describe, expect, it } from 'vitest';
import { MemoryDeadLetters } from '../../../../gateway/forwarding/dead-letters.js';
import { Forwarder } from '../../../../gateway/forwarding/forwarder.js';
import type { Sender } from '../../../../gateway/forwarding/sender.js';
import type { Target } from '../../../../gateway/forwarding/target-delivery.js';
import { MemoryLog } from '../../../../gateway/log/memory-log.js';
import { parseConfig } from '../../../../src/config/index.js';
import type { McpEvent } from '../../../../src/event/index.js';
import { createLogger } from '../../../../src/observability/logger.js';

const logger = createLogger({ name: 'test', level: 'silent' });

function setup(config: unknown, failing: string[] = []) {
  const sent: { target: string; event: McpEvent }[] = [];
  const createSender = (target: Target): Sender => ({
    async send(event) {
      sent.push({ target: target.id, event });
      return failing.includes(target.id) ? { outcome: 'failed', status: '400', error: 'HTTP 400' } : { outcome: 'delivered', status: '200' };
    },
    close() {},
  });
  const deadLetters = new MemoryDeadLetters(100);
  const log = new MemoryLog({ bufferSize: 100, history: { size: 100, retentionMs: 60_000 }, dedupe: { size: 100, ttlMs: 60_000 } });
  const forwarder = new Forwarder({ selfId: 'self', logger, log, deadLetters, createSender });
  forwarder.configure(parseConfig(config));
  /** Appends events to the log the forwarder reads, and waits until it has taken them. */
  const dispatch = async (...events: (Partial<McpEvent> & { event_id: string })[]) => {
    await log.append(events.map((event) => ({ event_type: 'document.uploaded', source: 'svc', timestamp: 1, data: '{}', metadata: {}, ...event })));
    await log.drained();
  };
  return { forwarder, sent, deadLetters, dispatch };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('Forwarder', () => {
  const peers = { forwarding: { targets: [{ url: 'http://a:1', id: 'a' }, { url: 'http://b:1', id: 'b' }] } };

  it('sends every event to every peer, stamped with one more hop and this gateway on the path', async () => {
    const { sent, dispatch } = setup(peers);
    await dispatch({ event_id: 'e1' });
    await settle();
    expect(sent.map((s) => s.target)).toEqual(['a', 'b']);
    expect(sent[0]!.event).toMatchObject({ event_id: 'e1', metadata: { mcphops: '1', mcppath: 'self' } });
  });

  it('skips peers already on the path, and stops at the hop limit', async () => {
    const { forwarder, sent, dispatch } = setup({ forwarding: { ...peers.forwarding, maxHops: 3 } });
    await dispatch(
      { event_id: 'e1', metadata: { mcphops: '1', mcppath: 'a' } },
      { event_id: 'e2', metadata: { mcphops: '3', mcppath: 'x,y,z' } },
      { event_id: 'e3', metadata: { mcphops: '2', mcppath: 'x,self' } },
    );
    await settle();
    expect(sent.map((s) => [s.target, s.event.event_id, s.event.metadata.mcppath])).toEqual([['b', 'e1', 'a,self']]);
    // Counted per target: e1 skips a; e2 is at the limit for a and b; e3 came back to this gateway for both.
    expect(forwarder.stats()).toMatchObject({ skippedOnPath: 3, skippedHopLimit: 2 });
  });

  it('sends to route targets only what the route matches', async () => {
    const { sent, dispatch } = setup({
      routes: [
        {
          name: 'docs',
          match: { eventTypes: ['document.*'], sources: ['svc'], metadata: { tenant_id: 't1' } },
          targets: [{ url: 'http://argo:12000/mcp', id: 'argo', format: 'cloudevents' }],
        },
      ],
    });
    await dispatch(
      { event_id: 'yes', metadata: { tenant_id: 't1' } },
      { event_id: 'other-tenant', metadata: { tenant_id: 't2' } },
      { event_id: 'other-type', event_type: 'user.created', metadata: { tenant_id: 't1' } },
      { event_id: 'other-source', source: 'x', metadata: { tenant_id: 't1' } },
    );
    await settle();
    expect(sent.map((s) => s.event.event_id)).toEqual(['yes']);
  });

  it('keeps deliveries across a reload and closes removed ones; redrive sends letters again', async () => {
    const { forwarder, sent, deadLetters, dispatch } = setup(peers, ['b']);
    await dispatch({ event_id: 'e1' });
    await settle();
    expect((await deadLetters.list({}, 10)).map((l) => [l.target, l.reason])).toEqual([['b', 'rejected']]);
    const before = forwarder.stats().targets.find((t) => t.target === 'a')!;
    forwarder.configure(parseConfig({ forwarding: { targets: [{ url: 'http://a:1', id: 'a' }, { url: 'http://c:1', id: 'c' }] } }));
    const after = forwarder.stats().targets.map((t) => [t.target, t.accepted]);
    expect(after).toEqual([
      ['a', before.accepted],
      ['c', 0],
    ]);
    expect(await forwarder.redrive({ target: 'b' }, 10)).toEqual({ redriven: 0, unknownTarget: 1 });
    expect(deadLetters.size).toBe(1);
    sent.length = 0;
    forwarder.configure(parseConfig(peers));
    expect(await forwarder.redrive({ target: 'b' }, 10)).toEqual({ redriven: 1, unknownTarget: 0 });
    await settle();
    expect(sent.map((s) => [s.target, s.event.event_id])).toEqual([['b', 'e1']]);
  });

  it('gives each sender the retry rules of its route, or the server\'s, and rebuilds a delivery when they change', () => {
    const rules = new Map<string, unknown>();
    const createSender = (target: Target, _concurrency: number, retryOn: unknown): Sender => {
      rules.set(target.id, retryOn);
      return { send: async () => ({ outcome: 'delivered', status: '200' }), close() {} };
    };
    const log = new MemoryLog({ bufferSize: 100, history: { size: 100, retentionMs: 60_000 }, dedupe: { size: 100, ttlMs: 60_000 } });
    const forwarder = new Forwarder({ selfId: 'self', logger, log, deadLetters: new MemoryDeadLetters(10), createSender });
    const config = (routeRetryOn?: unknown[]) => ({
      forwarding: { targets: [{ url: 'http://peer:1', id: 'peer' }], retry: { retryOn: ['5xx', 429] } },
      routes: [{ name: 'argo', targets: [{ url: 'http://argo:12000/mcp', id: 'argo', format: 'cloudevents' }], delivery: routeRetryOn ? { retry: { retryOn: routeRetryOn } } : {} }],
    });
    forwarder.configure(parseConfig(config()));
    expect(Object.fromEntries(rules)).toEqual({ peer: ['5xx', 429], argo: ['5xx', 429] });
    forwarder.configure(parseConfig(config(['400', '5XX'])));
    expect(rules.get('argo')).toEqual([400, '5xx']);
  });
});
