import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryDeadLetters } from '../../../../gateway/forwarding/dead-letters.js';
import { consumerName, Forwarder, legacyConsumerName } from '../../../../gateway/forwarding/forwarder.js';
import type { Sender } from '../../../../gateway/forwarding/sender.js';
import type { SharedConsumers } from '../../../../gateway/log/event-log.js';
import type { Target } from '../../../../gateway/forwarding/target.js';
import { MemoryLog } from '../../../../gateway/log/memory-log.js';
import { parseConfig } from '../../../../src/config/index.js';
import type { McpEvent } from '../../../../src/event/index.js';
import { createLogger } from '../../../../src/observability/logger.js';

const logger = createLogger({ name: 'test', level: 'silent' });

function setup(config: unknown, failing: string[] = []) {
  const sent: { target: string; event: McpEvent }[] = [];
  const createSender = (target: Target): Sender => ({
    mode: 'batch',
    maxEvents: 100,
    async send(events) {
      return events.map(({ event }) => {
        sent.push({ target: target.id, event });
        return failing.includes(target.id) ? { protocol: 'http', status: 400, error: 'HTTP 400' } : { protocol: 'http', status: 200 };
      });
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
  const peers = {
    forwarding: {
      targets: [
        { url: 'http://a:1', id: 'a' },
        { url: 'http://b:1', id: 'b' },
      ],
    },
  };

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
    forwarder.configure(
      parseConfig({
        forwarding: {
          targets: [
            { url: 'http://a:1', id: 'a' },
            { url: 'http://c:1', id: 'c' },
          ],
        },
      }),
    );
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

  it('sends an event that reaches a target as a peer and through routes once, under the stricter policy, and counts it once', async () => {
    const attempts: string[] = [];
    const createSender = (target: Target): Sender => ({
      mode: 'batch',
      maxEvents: 100,
      send: async (events) =>
        events.map(({ event }) => (attempts.push(`${target.id}:${event.event_id}`), { protocol: 'http', status: 503, error: 'HTTP 503' })),
      close() {},
    });
    const deadLetters = new MemoryDeadLetters(100);
    const log = new MemoryLog({ bufferSize: 100, history: { size: 100, retentionMs: 60_000 }, dedupe: { size: 100, ttlMs: 60_000 } });
    const forwarder = new Forwarder({ selfId: 'self', logger, log, deadLetters, createSender });
    forwarder.configure(
      parseConfig({
        forwarding: {
          targets: [{ url: 'http://beta:8080', id: 'beta' }],
          retry: { maxAttempts: 2, initialBackoff: '1ms', maxBackoff: '2ms' },
          circuitBreaker: { failureThreshold: 100 },
        },
        routes: [
          {
            name: 'docs',
            match: { eventTypes: ['document.*'] },
            targets: [{ url: 'http://beta:8080/', id: 'beta' }],
            delivery: { retry: { maxAttempts: 4 } },
          },
          {
            name: 'other',
            match: { eventTypes: ['user.*'] },
            targets: [{ url: 'http://beta:8080', id: 'beta' }],
            delivery: { retry: { maxAttempts: 3 } },
          },
        ],
      }),
    );
    await log.append([
      { event_id: 'doc', event_type: 'document.uploaded', source: 's', timestamp: 1, data: '{}', metadata: {} },
      { event_id: 'plain', event_type: 'order.placed', source: 's', timestamp: 1, data: '{}', metadata: {} },
    ]);
    await log.drained();
    await new Promise((resolve) => setTimeout(resolve, 200));
    // doc: the peer list and route docs match: one delivery, four attempts (docs' policy, the stricter).
    expect(attempts.filter((a) => a === 'beta:doc')).toHaveLength(4);
    expect(attempts.filter((a) => a === 'beta:plain')).toHaveLength(2);
    const letters = await deadLetters.list({}, 10);
    expect(letters.map((l) => [l.event.event_id, l.route, l.attempts])).toEqual([
      ['plain', 'peers', 2],
      ['doc', 'peers,route/docs', 4],
    ]);
    const [stats] = forwarder.stats().targets;
    expect(forwarder.stats().targets).toHaveLength(1);
    expect(stats).toMatchObject({ target: 'beta', route: 'peers,route/docs,route/other', accepted: 2, deadLettered: 2 });
  });

  it('reads the log with one shared consumer per target, named by the target alone, taking over the per-route consumers of before', () => {
    const opened: { name: string; replaces: readonly string[] | undefined }[] = [];
    const removed: string[] = [];
    const log: SharedConsumers = {
      consumeShared(name, _handler, options) {
        opened.push({ name, replaces: options.replaces });
        return { stop: async () => {}, remove: async () => void removed.push(name) };
      },
    };
    const createSender = (): Sender => ({
      mode: 'batch',
      maxEvents: 1,
      send: async (events) => events.map(() => ({ protocol: 'http', status: 200 })),
      close() {},
    });
    const forwarder = new Forwarder({ selfId: 'self', logger, log, deadLetters: new MemoryDeadLetters(10), createSender });
    const beta = { url: 'http://beta:8080', id: 'beta' };
    forwarder.configure(parseConfig({ forwarding: { targets: [beta] }, routes: [{ name: 'docs', targets: [beta] }] }));
    expect(opened).toEqual([
      { name: consumerName({ url: beta.url, format: 'mcp' }), replaces: [legacyConsumerName('peers', beta), legacyConsumerName('route/docs', beta)] },
    ]);
    // The names an earlier version used, so an upgrade takes over their position.
    expect(legacyConsumerName('peers', beta)).toBe(
      `fwd-${createHash('sha256')
        .update(JSON.stringify(['peers', 'beta', 'http://beta:8080']))
        .digest('hex')
        .slice(0, 20)}`,
    );
    // Routes come and go; the target's consumer stays.
    forwarder.configure(parseConfig({ forwarding: { targets: [beta] } }));
    forwarder.configure(parseConfig({ routes: [{ name: 'docs', targets: [beta] }] }));
    expect(opened).toHaveLength(1);
    expect(removed).toEqual([]);
    forwarder.configure(parseConfig({}));
    expect(removed).toEqual([opened[0]!.name]);
  });

  it('makes a new sender only when how the target is reached changes, keeping the delivery', () => {
    const made: string[] = [];
    const createSender = (target: Target): Sender => {
      made.push(`${target.id}${target.tls ? ' tls' : ''}`);
      return { mode: 'batch', maxEvents: 1, send: async (events) => events.map(() => ({ protocol: 'http', status: 200 })), close() {} };
    };
    const log = new MemoryLog({ bufferSize: 100, history: { size: 100, retentionMs: 60_000 }, dedupe: { size: 100, ttlMs: 60_000 } });
    const forwarder = new Forwarder({ selfId: 'self', logger, log, deadLetters: new MemoryDeadLetters(10), createSender });
    const config = (retryOn?: unknown[], tls?: object) => ({
      forwarding: { targets: [{ url: 'https://peer:1', id: 'peer', ...(tls ? { tls } : {}) }], retry: retryOn ? { retryOn } : {} },
    });
    forwarder.configure(parseConfig(config()));
    forwarder.configure(parseConfig(config([400])));
    expect(made).toEqual(['peer']);
    forwarder.configure(parseConfig(config([400], { caFile: '/ca.crt' })));
    expect(made).toEqual(['peer', 'peer tls']);
    expect(forwarder.stats().targets[0]!.policy.retry.retryOn).toEqual([400]);
  });
});
