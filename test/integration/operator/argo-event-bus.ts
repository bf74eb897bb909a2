// Argo Events' real EventBus CRD (from the argo-events module test/cluster/argo pins, read from
// the Go module cache, not copied into this repository) and EventBus objects as Argo's controller
// leaves them, for tests of the operator's read-only use of them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { applyCrd, kubeRequest, waitForCrd, waitUntil } from '../../harness/index.js';
import { PROJECT_ROOT } from '../../../src/paths.js';
import type { ArgoEventBus } from '../../../operator/resolve/bus.js';
import { kube } from './support.js';

export const EVENT_BUS_CRD = 'eventbus.argoproj.io';

/** The argo-events module directory (downloaded into the module cache if it is not there yet). */
function argoEventsModuleDir(): string {
  const out = execFileSync('go', ['mod', 'download', '-json', 'github.com/argoproj/argo-events'], {
    cwd: join(PROJECT_ROOT, 'test/cluster/argo'),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return (JSON.parse(out) as { Dir: string }).Dir;
}

export async function installEventBusCrd(kubeconfig: string): Promise<void> {
  const crd = parse(readFileSync(join(argoEventsModuleDir(), 'manifests/base/crds/argoproj.io_eventbus.yaml'), 'utf8')) as V1CustomResourceDefinition;
  await applyCrd(kubeconfig, crd);
  await waitForCrd(kubeconfig, EVENT_BUS_CRD);
}

/** Removes the CRD (and with it every EventBus) and waits until discovery no longer serves it. */
export async function removeEventBusCrd(kubeconfig: string): Promise<void> {
  await kubeRequest(kubeconfig, 'DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${EVENT_BUS_CRD}`);
  await waitUntil(
    'EventBus kind gone from discovery',
    async () => {
      const res = await kubeRequest(kubeconfig, 'GET', '/apis/argoproj.io/v1alpha1');
      return res.status === 404 || !((res.body as { resources?: { name: string }[] }).resources ?? []).some((r) => r.name === 'eventbus');
    },
    60_000,
  );
}

/** Creates or updates an EventBus, and (as Argo's controller does) its status. */
export async function putEventBus(kubeconfig: string, eventBus: ArgoEventBus & { metadata: { name: string; namespace: string } }): Promise<void> {
  const { objects } = kube(kubeconfig).clients;
  const object = { apiVersion: 'argoproj.io/v1alpha1', kind: 'EventBus', metadata: eventBus.metadata, spec: eventBus.spec ?? {} } as KubernetesObject;
  await objects.apply(object, 'argo-events-test', true);
  if (eventBus.status) await objects.applySubresource({ ...object, status: eventBus.status } as KubernetesObject, 'status', 'argo-events-test', true);
}

/** What Argo's jetstream installer writes into an EventBus's status (installer/jetstream.go). */
export function installedJetStreamStatus(name: string, namespace: string): NonNullable<ArgoEventBus['status']> {
  return {
    config: {
      jetstream: {
        url: `nats://eventbus-${name}-js-svc.${namespace}.svc:4222`,
        accessSecret: { name: `eventbus-${name}-js-client-auth`, key: 'client-auth' },
      },
    },
  };
}
