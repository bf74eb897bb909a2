// The McpServer reconcile with its collaborators faked: what it writes, the Events it records,
// and that it stops before writing once its signal has aborted.
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { createMcpServerReconciler, type McpServerReconcilerDeps } from '../../../../operator/controllers/mcp-server.js';
import { routeContext } from '../../../../operator/controllers/context.js';
import { CHILD_RESOURCES, type ChildKind } from '../../../../operator/resources.js';
import type { EventBusLookup } from '../../../../operator/resolve/bus.js';
import type { Condition, McpRoute, McpServer } from '../../../../src/api/index.js';
import type { Applier } from '../../../../src/kube/apply.js';
import type { EventRecord, EventRecorder } from '../../../../src/kube/event-recorder.js';
import type { Informer } from '../../../../src/kube/informer.js';
import { createLogger } from '../../../../src/observability/logger.js';

const condition = (type: string, status: 'True' | 'False', reason: string): Condition => ({
  type,
  status,
  reason,
  message: '',
  observedGeneration: 1,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});

/** An informer that serves fixed objects from memory (all the reconcile reads). */
function cache<T extends { metadata?: { namespace?: string; name?: string } }>(objects: T[] = []): Informer<T & KubernetesObject> {
  return {
    get: (namespace: string | undefined, name: string) => objects.find((o) => o.metadata?.namespace === namespace && o.metadata?.name === name),
    list: (namespace?: string) => objects.filter((o) => namespace === undefined || o.metadata?.namespace === namespace),
  } as unknown as Informer<T & KubernetesObject>;
}

function setup(server: McpServer, deployment?: V1Deployment, eventBuses: EventBusLookup = { state: () => 'absent', get: () => undefined }) {
  const applied: KubernetesObject[] = [];
  const statuses: Record<string, unknown>[] = [];
  const events: EventRecord[] = [];
  const applier = {
    apply: async (desired: KubernetesObject, _live: unknown, options?: { signal?: AbortSignal }) => {
      options?.signal?.throwIfAborted();
      applied.push(desired);
      return { object: desired, applied: true };
    },
    applyStatus: async (_target: unknown, status: Record<string, unknown>, _live: unknown, options?: { signal?: AbortSignal }) => {
      options?.signal?.throwIfAborted();
      statuses.push(status);
      return { object: {}, applied: true };
    },
  } as unknown as Applier;
  const servers = cache<McpServer>([server]);
  const children = Object.fromEntries(
    Object.keys(CHILD_RESOURCES).map((kind) => [kind, cache(kind === 'Deployment' && deployment ? [deployment] : [])]),
  ) as unknown as Record<ChildKind, Informer<KubernetesObject>>;
  const deps: McpServerReconcilerDeps = {
    servers,
    routes: cache<McpRoute>(),
    children,
    routeContext: routeContext(servers, 'cluster.local'),
    applier,
    objects: {} as McpServerReconcilerDeps['objects'],
    recorder: { record: (event: EventRecord) => events.push(event) > 0 } as unknown as EventRecorder,
    secretVersions: async () => ({}),
    secretRecheckMs: 60_000,
    eventBuses,
    defaultImage: 'tas-mcp/gateway:test',
    clusterDomain: 'cluster.local',
    logger: createLogger({ name: 'test', level: 'silent' }),
    now: () => new Date('2026-01-02T00:00:00Z'),
  };
  return { reconcile: createMcpServerReconciler(deps), applied, statuses, events };
}

const alpha = (conditions?: Condition[]): McpServer => ({
  apiVersion: 'mcp.tas.ai/v1alpha1',
  kind: 'McpServer',
  metadata: { name: 'alpha', namespace: 'team-a', uid: 'u-1', generation: 1 },
  spec: { replicas: 1 },
  ...(conditions ? { status: { conditions } } : {}),
});

const rolledOut: V1Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'alpha', namespace: 'team-a', generation: 2 },
  spec: { replicas: 1 } as V1Deployment['spec'],
  status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 1 },
};

describe('the McpServer reconcile', () => {
  it('applies the children and the status for the request it is given', async () => {
    const { reconcile, applied, statuses } = setup(alpha());
    await reconcile({ namespace: 'team-a', name: 'alpha' }, new AbortController().signal);
    expect(applied.map((o) => o.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Service', 'Deployment']);
    expect(applied.every((o) => o.metadata?.ownerReferences?.[0]?.uid === 'u-1')).toBe(true);
    expect(statuses).toHaveLength(1);
  });

  it('does nothing for a request naming no server', async () => {
    const { reconcile, applied, statuses } = setup(alpha());
    await reconcile({ namespace: 'team-a', name: 'gone' }, new AbortController().signal);
    expect(applied).toEqual([]);
    expect(statuses).toEqual([]);
  });

  it('records a finished rollout as a Normal Event', async () => {
    const before = [
      condition('Ready', 'True', 'Available'),
      condition('Progressing', 'True', 'RollingOut'),
      condition('Degraded', 'False', 'AsExpected'),
      condition('PeersResolved', 'True', 'AllPeersResolved'),
    ];
    const { reconcile, events } = setup(alpha(before), rolledOut);
    await reconcile({ namespace: 'team-a', name: 'alpha' }, new AbortController().signal);
    expect(events.map((e) => [e.type, e.reason])).toEqual([['Normal', 'RolloutComplete']]);
  });

  it('writes nothing once its signal has aborted (a reconcile past its timeout)', async () => {
    const { reconcile, applied, statuses } = setup(alpha());
    const deadline = new AbortController();
    deadline.abort(new Error('reconcile timed out'));
    await expect(reconcile({ namespace: 'team-a', name: 'alpha' }, deadline.signal)).rejects.toThrow('reconcile timed out');
    expect(applied).toEqual([]);
    expect(statuses).toEqual([]);
  });

  it('warns once that a memory log under two replicas is not shared, naming the fix', async () => {
    const two: McpServer = { ...alpha(), spec: { replicas: 2 } };
    const first = setup(two);
    await first.reconcile({ namespace: 'team-a', name: 'alpha' }, new AbortController().signal);
    const status = first.statuses[0] as { conditions: Condition[]; bus: unknown };
    const shared = status.conditions.find((c) => c.type === 'SharedLog')!;
    expect(shared).toMatchObject({ status: 'False', reason: 'MemoryBus' });
    expect(shared.message).toContain('spec.bus.type: jetstream');
    expect(status.bus).toEqual({ type: 'memory', connectedPods: 0 });
    expect(first.events.filter((e) => e.reason === 'MemoryBus').map((e) => e.type)).toEqual(['Warning']);
    // The next reconcile starts from that status: no second Event.
    const again = setup({ ...two, status: { conditions: status.conditions } });
    await again.reconcile({ namespace: 'team-a', name: 'alpha' }, new AbortController().signal);
    expect(again.events.filter((e) => e.reason === 'MemoryBus')).toEqual([]);
  });

  it("reports a JetStream server's stream and its Ready pods as connected, and Ready False while none is", async () => {
    const onNats: McpServer = {
      ...alpha(),
      spec: { replicas: 2, bus: { type: 'jetstream', jetstream: { url: 'nats://nats.nats-system.svc:4222' } } },
    };
    const none = setup(onNats);
    await none.reconcile({ namespace: 'team-a', name: 'alpha' }, new AbortController().signal);
    const cold = none.statuses[0] as { conditions: Condition[]; bus: unknown };
    expect(cold.bus).toEqual({ type: 'jetstream', stream: 'mcp_team-a_alpha', connectedPods: 0 });
    expect(cold.conditions.find((c) => c.type === 'SharedLog')).toMatchObject({ status: 'False', reason: 'NoPodConnected' });
    expect(cold.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'NoPodConnected' });
    expect(none.events).toEqual([]); // a new server without pods yet is no news
    const running = setup(
      { ...onNats, status: { conditions: cold.conditions } },
      {
        ...rolledOut,
        spec: { replicas: 2 } as V1Deployment['spec'],
        status: { ...rolledOut.status, replicas: 2, updatedReplicas: 2, readyReplicas: 2 },
      },
    );
    await running.reconcile({ namespace: 'team-a', name: 'alpha' }, new AbortController().signal);
    const warm = running.statuses[0] as { conditions: Condition[]; bus: unknown };
    expect(warm.bus).toEqual({ type: 'jetstream', stream: 'mcp_team-a_alpha', connectedPods: 2 });
    expect(warm.conditions.find((c) => c.type === 'SharedLog')).toMatchObject({ status: 'True', reason: 'LogConnected' });
    expect(running.events.map((e) => [e.type, e.reason])).toContainEqual(['Normal', 'LogConnected']);
  });

  it('applies nothing for an EventBus it cannot use, and says why in Degraded and SharedLog', async () => {
    const onArgo: McpServer = { ...alpha(), spec: { bus: { type: 'jetstream', jetstream: { argoEventBus: { name: 'default' } } } } };
    const { reconcile, applied, statuses, events } = setup(onArgo, undefined, { state: () => 'ready', get: () => undefined });
    await reconcile({ namespace: 'team-a', name: 'alpha' }, new AbortController().signal);
    expect(applied).toEqual([]);
    const conditions = (statuses[0] as { conditions: Condition[] }).conditions;
    expect(conditions.find((c) => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'EventBusNotFound',
      message: 'Argo EventBus team-a/default not found',
    });
    expect(conditions.find((c) => c.type === 'SharedLog')).toMatchObject({ status: 'False', reason: 'EventBusNotFound' });
    expect(events.map((e) => e.reason)).toEqual(['EventBusNotFound', 'EventBusNotFound']);
  });

  it('waits, writing nothing, while the EventBus cache fills', async () => {
    const onArgo: McpServer = { ...alpha(), spec: { bus: { type: 'jetstream', jetstream: { argoEventBus: { name: 'default' } } } } };
    const { reconcile, applied, statuses } = setup(onArgo, undefined, { state: () => 'syncing', get: () => undefined });
    expect(await reconcile({ namespace: 'team-a', name: 'alpha' }, new AbortController().signal)).toEqual({ requeueAfter: 1000 });
    expect(applied).toEqual([]);
    expect(statuses).toEqual([]);
  });
});
