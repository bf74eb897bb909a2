import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Controller, ReconcileTimeoutError, ownerRequestMapper, referencingRequestMapper } from '../../../src/kube/controller.js';
import { requestKey, type Request } from '../../../src/kube/request.js';
import { Informer } from '../../../src/kube/informer.js';
import { FakeSource, server, type Server } from './fake-list-watch-source.js';

const serverResource = { apiVersion: 'mcp.tas.ai/v1alpha1', kind: 'McpServer', plural: 'mcpservers', namespaced: true };
const configMapResource = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };

function configMap(namespace: string, name: string, resourceVersion: string, owner?: { kind: string; name: string }): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      namespace,
      name,
      resourceVersion,
      ...(owner ? { ownerReferences: [{ apiVersion: 'mcp.tas.ai/v1alpha1', kind: owner.kind, name: owner.name, uid: 'u', controller: true }] } : {}),
    },
  };
}

describe('Controller', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(reconcile: (request: Request, signal: AbortSignal) => Promise<{ requeueAfter?: number } | void>, reconcileTimeoutMs?: number) {
    const servers = new FakeSource();
    const configMaps = new FakeSource<KubernetesObject>();
    const serverInformer = new Informer<Server>({ resource: serverResource, source: servers, random: () => 0 });
    const configMapInformer = new Informer<KubernetesObject>({ resource: configMapResource, source: configMaps, random: () => 0 });
    serverInformer.addIndex('peers', (o) => (o.spec?.peers ?? []).map((p) => `${p.namespace}/${p.name}`));
    const processed = vi.fn();
    const controller = new Controller({
      name: 'mcpserver',
      reconcile,
      workers: 2,
      metrics: { processed },
      ...(reconcileTimeoutMs ? { reconcileTimeoutMs } : {}),
    })
      .for(serverInformer)
      .watches(serverInformer, referencingRequestMapper(serverInformer, 'peers'))
      .owns(serverResource, configMapInformer);
    return { servers, configMaps, serverInformer, configMapInformer, controller, processed };
  }

  it('reconciles only after every cache synced, once per key', async () => {
    const reconciled: string[] = [];
    const { servers, configMaps, controller } = setup(async (request) => void reconciled.push(requestKey(request)));
    servers.items.set(undefined, [server('a', 'one', '1'), server('a', 'two', '2')]);
    let openConfigMaps!: () => void;
    configMaps.listGate = new Promise((resolve) => (openConfigMaps = resolve));
    const started = controller.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(reconciled).toEqual([]);
    openConfigMaps();
    await started;
    await vi.advanceTimersByTimeAsync(0);
    expect(reconciled.sort()).toEqual(['a/one', 'a/two']);
    await controller.stop();
  });

  it('starts what runs beside it before its workers, and stops it first; a watch added later enqueues too', async () => {
    const reconciled: string[] = [];
    const { servers, controller } = setup(async (request) => void reconciled.push(requestKey(request)));
    servers.items.set(undefined, [server('a', 'one', '1')]);
    const order: string[] = [];
    let finishStart!: () => void;
    const late = new FakeSource();
    const lateInformer = new Informer<Server>({ resource: { ...serverResource, kind: 'Late' }, source: late, random: () => 0 });
    controller.runs({
      start: () =>
        new Promise<void>((resolve) => {
          order.push('runnable started');
          finishStart = () => {
            // As the EventBus watch does once its kind is served.
            controller.watches(lateInformer, (o) => [{ namespace: o.metadata?.namespace, name: `via-${o.metadata?.name}` }]);
            lateInformer.start();
            resolve();
          };
        }),
      stop: () => order.push('runnable stopped'),
    });
    const started = controller.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(order).toEqual(['runnable started']);
    expect(reconciled).toEqual([]);
    finishStart();
    await started;
    await vi.advanceTimersByTimeAsync(0);
    expect(reconciled).toEqual(['a/one']);
    late.last().emit('ADDED', server('a', 'bus', '3'));
    await vi.advanceTimersByTimeAsync(0);
    expect(reconciled).toEqual(['a/one', 'a/via-bus']);
    await controller.stop();
    expect(order).toEqual(['runnable started', 'runnable stopped']);
    lateInformer.stop();
  });

  it('maps owned objects to their owner and referenced servers to the servers referencing them', async () => {
    const reconciled: string[] = [];
    const { servers, configMaps, controller } = setup(async (request) => void reconciled.push(requestKey(request)));
    servers.items.set(undefined, [server('a', 'edge', '1', ['b/hub']), server('b', 'hub', '2')]);
    await controller.start();
    await vi.advanceTimersByTimeAsync(0);
    reconciled.length = 0;

    configMaps.last().emit('ADDED', configMap('a', 'edge-config', '5', { kind: 'McpServer', name: 'edge' }));
    configMaps.last().emit('ADDED', configMap('a', 'unowned', '6'));
    configMaps.last().emit('ADDED', configMap('a', 'other-owner', '7', { kind: 'Deployment', name: 'x' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(reconciled).toEqual(['a/edge']);

    reconciled.length = 0;
    servers.last().emit('MODIFIED', server('b', 'hub', '8'));
    await vi.advanceTimersByTimeAsync(0);
    expect(reconciled.sort()).toEqual(['a/edge', 'b/hub']);

    // A reference removed still reconciles the former target (old and new objects are mapped).
    reconciled.length = 0;
    servers.last().emit('MODIFIED', server('a', 'edge', '9', []));
    await vi.advanceTimersByTimeAsync(0);
    expect(reconciled.sort()).toEqual(['a/edge']);
    await controller.stop();
  });

  it('requeues failures with backoff and reports results to the metric hooks', async () => {
    let calls = 0;
    const { servers, controller, processed } = setup(async () => {
      calls++;
      if (calls < 3) throw new Error('transient');
      return { requeueAfter: 60_000 };
    });
    servers.items.set(undefined, [server('a', 'one', '1')]);
    await controller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(5);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toBe(3);
    expect(processed.mock.calls.map((c) => c[2])).toEqual(['error', 'error', 'requeue_after']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toBe(4);
    await controller.stop();
  });

  it('stops taking events and drains running reconciles', async () => {
    let finish!: () => void;
    const { servers, controller } = setup(() => new Promise<void>((resolve) => (finish = resolve)));
    servers.items.set(undefined, [server('a', 'one', '1')]);
    await controller.start();
    await vi.advanceTimersByTimeAsync(0);
    const stopping = controller.stop();
    servers.last().emit('ADDED', server('a', 'new', '3'));
    expect(controller.queue.depth).toBe(0);
    finish();
    await expect(stopping).resolves.toBe(true);
  });

  it('aborts the signal of a reconcile that runs past its timeout, and retries it', async () => {
    const reasons: unknown[] = [];
    let calls = 0;
    const { servers, controller, processed } = setup(
      (_request, signal) =>
        new Promise<void>((resolve, reject) => {
          calls++;
          if (calls > 1) return resolve();
          signal.addEventListener('abort', () => {
            reasons.push(signal.reason);
            reject(signal.reason);
          });
        }),
      1_000,
    );
    servers.items.set(undefined, [server('a', 'slow', '1')]);
    await controller.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(reasons).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(ReconcileTimeoutError);
    expect((reasons[0] as ReconcileTimeoutError).request).toEqual({ namespace: 'a', name: 'slow' });
    await vi.advanceTimersByTimeAsync(5); // the first retry's backoff
    expect(calls).toBe(2);
    expect(processed.mock.calls.map((c) => c[2])).toEqual(['error', 'success']);
    await controller.stop();
  });

  it('ownerRequestMapper compares the owner group, not its version', () => {
    const mapper = ownerRequestMapper({ apiVersion: 'mcp.tas.ai/v1beta1', kind: 'McpServer' });
    expect(mapper(configMap('ns', 'c', '1', { kind: 'McpServer', name: 'gw' }))).toEqual([{ namespace: 'ns', name: 'gw' }]);
    expect(mapper(configMap('ns', 'c', '1', { kind: 'Deployment', name: 'gw' }))).toEqual([]);
  });
});
