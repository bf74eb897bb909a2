// The informer against a real kube-apiserver: sync, create/update/delete, label selectors, and
// recovery when the watch breaks (client side) or the server ends it (short watch timeouts).
import { CoreV1Api, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, deleteNamespace, waitUntil } from '../../harness/index.js';
import { createKubeClients, loadKubeConfig } from '../../../src/kube/client.js';
import { Informer } from '../../../src/kube/informer.js';
import { createApiListWatchSource, type ListWatchSource, type WatchHandle } from '../../../src/kube/list-watch-source.js';

const kubeconfig = inject('kubeconfig');
const configMaps = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };

describe('Informer (real API server)', () => {
  const kc = loadKubeConfig({ path: kubeconfig });
  const clients = createKubeClients(kc);
  const core = kc.makeApiClient(CoreV1Api);
  let namespace: string;
  const informers: Informer<KubernetesObject>[] = [];

  beforeAll(async () => {
    namespace = await createNamespace(kubeconfig, 'kube-informer');
  });
  afterAll(async () => {
    for (const informer of informers) informer.stop();
    await deleteNamespace(kubeconfig, namespace);
  });

  function track(informer: Informer<KubernetesObject>): Informer<KubernetesObject> {
    informers.push(informer);
    return informer;
  }

  const configMap = (name: string, data: Record<string, string>, labels: Record<string, string> = {}): V1ConfigMap => ({
    metadata: { name, namespace, labels },
    data,
  });

  it('syncs, then sees creates, updates and deletes', async () => {
    await core.createNamespacedConfigMap({ namespace, body: configMap('before', { a: '1' }) });
    const informer = track(
      new Informer({ resource: configMaps, source: createApiListWatchSource(kc, clients.objects, configMaps), namespaces: [namespace] }),
    );
    const seen: string[] = [];
    informer.on({
      add: (o) => seen.push(`add ${o.metadata!.name}`),
      update: (_, o) => seen.push(`update ${o.metadata!.name}`),
      delete: (o) => seen.push(`delete ${o.metadata!.name}`),
    });
    informer.start();
    await informer.waitForSync({ timeoutMs: 30_000 });
    expect(informer.get(namespace, 'before')).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } });

    await core.createNamespacedConfigMap({ namespace, body: configMap('during', { b: '1' }) });
    await waitUntil('add seen', async () => informer.get(namespace, 'during') !== undefined, 15_000, 50);
    await core.replaceNamespacedConfigMap({ name: 'during', namespace, body: configMap('during', { b: '2' }) });
    await waitUntil('update seen', async () => (informer.get(namespace, 'during') as V1ConfigMap | undefined)?.data?.b === '2', 15_000, 50);
    await core.deleteNamespacedConfigMap({ name: 'during', namespace });
    await waitUntil('delete seen', async () => informer.get(namespace, 'during') === undefined, 15_000, 50);
    expect(seen).toEqual(['add before', 'add during', 'update during', 'delete during']);
  });

  it('honours a label selector', async () => {
    const informer = track(
      new Informer({
        resource: configMaps,
        source: createApiListWatchSource(kc, clients.objects, configMaps),
        namespaces: [namespace],
        labelSelector: 'pick=yes',
      }),
    );
    informer.start();
    await informer.waitForSync({ timeoutMs: 30_000 });
    await core.createNamespacedConfigMap({ namespace, body: configMap('skipped', {}, { pick: 'no' }) });
    await core.createNamespacedConfigMap({ namespace, body: configMap('picked', {}, { pick: 'yes' }) });
    await waitUntil('picked seen', async () => informer.get(namespace, 'picked') !== undefined, 15_000, 50);
    expect(informer.get(namespace, 'skipped')).toBeUndefined();
  });

  it('restarts after the watch connection breaks, and resumes without losing events', async () => {
    const real = createApiListWatchSource<KubernetesObject>(kc, clients.objects, configMaps);
    const handles: WatchHandle[] = [];
    let lists = 0;
    const source: ListWatchSource<KubernetesObject> = {
      list: (...args) => {
        lists++;
        return real.list(...args);
      },
      watch: async (...args) => {
        const handle = await real.watch(...args);
        handles.push(handle);
        return handle;
      },
    };
    const informer = track(new Informer({ resource: configMaps, source, namespaces: [namespace], backoff: { baseMs: 200, maxMs: 1_000 } }));
    informer.start();
    await informer.waitForSync({ timeoutMs: 30_000 });
    await waitUntil('watch open', async () => handles.length === 1, 10_000, 20);

    // Break the connection under the informer (client-node reports it as an error and would stop).
    handles[0]!.abort();
    // Written while no watch is open: must still arrive, from the resumed watch.
    await core.createNamespacedConfigMap({ namespace, body: configMap('while-broken', { c: '1' }) });
    await waitUntil('watch reopened', async () => handles.length >= 2, 10_000, 20);
    await waitUntil('event from the gap seen', async () => informer.get(namespace, 'while-broken') !== undefined, 15_000, 50);
    expect(lists).toBe(1); // resumed from the resourceVersion, no relist
    expect(informer.status()[0]!.restarts).toBeGreaterThanOrEqual(1);
  });

  it('resumes when the server ends watches (short server-side timeouts)', async () => {
    const informer = track(
      new Informer({
        resource: configMaps,
        source: createApiListWatchSource(kc, clients.objects, configMaps),
        namespaces: [namespace],
        minWatchTimeoutSeconds: 1,
      }),
    );
    informer.start();
    await informer.waitForSync({ timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    await core.createNamespacedConfigMap({ namespace, body: configMap('after-timeouts', { d: '1' }) });
    await waitUntil('event after server-side closes seen', async () => informer.get(namespace, 'after-timeouts') !== undefined, 15_000, 50);
    expect(informer.status()[0]!.restarts).toBeGreaterThanOrEqual(2);
  });
});
