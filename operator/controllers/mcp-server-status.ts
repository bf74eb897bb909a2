// McpServer status from what the cluster shows: the Deployment's replicas and conditions, the
// peers resolved, the routes attached, and whether the pods share one event log.
import type { V1Deployment } from '@kubernetes/client-node';
import type { Condition, McpServer, McpServerStatus } from '../../src/api/index.js';
import { jetStreamNames } from '../../src/config/jetstream-names.js';
import { gatewayId } from '../render/gateway-config.js';
import { selectorLabels } from '../render/names.js';
import { mostReplicas } from '../render/scaling.js';
import { desiredReplicas } from '../render/workload.js';
import type { SettledBus } from '../resolve/bus.js';
import { serverEndpoints } from '../resolve/addresses.js';
import type { ResolvedPeers } from '../resolve/peers.js';
import { nextConditions, type ConditionInput } from '../status/conditions.js';

export interface StatusInputs {
  server: McpServer;
  deployment: V1Deployment | undefined;
  peers: ResolvedPeers;
  attachedRoutes: number;
  configHash: string | undefined;
  /** Set when the spec could not be rendered into a usable gateway config. */
  renderError: string | undefined;
  /** Referenced Secrets that do not exist (the pods cannot start without them). */
  missingSecrets?: string[];
  /** The event log, resolved; or why it cannot be (an Argo EventBus that is missing, ...). */
  bus: SettledBus;
  clusterDomain: string;
  now: Date;
}

function readiness(
  server: McpServer,
  deployment: V1Deployment | undefined,
  bus: StatusInputs['bus'],
): { ready: ConditionInput; progressing: ConditionInput } {
  const wanted = deployment?.spec?.replicas ?? desiredReplicas(server) ?? 1;
  const ready = deployment?.status?.readyReplicas ?? 0;
  const onJetStream = (server.spec.bus?.type ?? 'memory') === 'jetstream';
  const updated = deployment?.status?.updatedReplicas ?? 0;
  const rolledOut =
    deployment !== undefined &&
    (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1) &&
    updated >= wanted &&
    (deployment.status?.replicas ?? 0) === updated;
  return {
    ready:
      wanted === 0
        ? { type: 'Ready', status: false, reason: 'ScaledToZero', message: 'replicas is 0' }
        : ready >= wanted
          ? { type: 'Ready', status: true, reason: 'Available', message: `${ready}/${wanted} gateway pods ready` }
          : ready === 0 && onJetStream
            ? {
                type: 'Ready',
                status: false,
                reason: 'NoPodConnected',
                message: `0/${wanted} gateway pods ready: a gateway on JetStream is Ready only while its log takes events (${logWhere(bus)})`,
              }
            : { type: 'Ready', status: false, reason: 'PodsNotReady', message: `${ready}/${wanted} gateway pods ready` },
    progressing: !deployment
      ? { type: 'Progressing', status: true, reason: 'Creating', message: 'creating the gateway Deployment' }
      : rolledOut
        ? { type: 'Progressing', status: false, reason: 'RolloutComplete', message: 'every pod runs the current configuration' }
        : { type: 'Progressing', status: true, reason: 'RollingOut', message: `${updated}/${wanted} pods updated` },
  };
}

function logWhere(bus: StatusInputs['bus']): string {
  if (bus.problem) return bus.problem.message;
  return bus.bus.type === 'jetstream' ? `NATS at ${bus.bus.jetstream.urls.join(', ')}` : 'memory';
}

/** The SharedLog condition and status.bus. Connected pods are the Ready pods: a gateway is Ready only while its log takes events. */
function sharedLog(
  server: McpServer,
  deployment: V1Deployment | undefined,
  bus: StatusInputs['bus'],
): { condition: ConditionInput; status: NonNullable<McpServerStatus['bus']> } {
  const type = server.spec.bus?.type ?? 'memory';
  const connectedPods = deployment?.status?.readyReplicas ?? 0;
  if (type === 'memory') {
    const most = mostReplicas(server);
    const condition: ConditionInput =
      most > 1
        ? {
            type: 'SharedLog',
            status: false,
            reason: 'MemoryBus',
            message:
              `each of up to ${most} pods keeps its own events in memory: a subscriber sees only what its pod took in, and a pod's events are lost when it stops. ` +
              'For one log shared by every pod set spec.bus.type: jetstream with spec.bus.jetstream.url (a NATS server with JetStream, see config/nats) ' +
              'or spec.bus.jetstream.argoEventBus (an Argo Events EventBus), or run one replica',
          }
        : {
            type: 'SharedLog',
            status: true,
            reason: 'SinglePod',
            message: 'one pod: its memory log is the whole log (kept while the process lives)',
          };
    return { condition, status: { type, connectedPods } };
  }
  const stream = jetStreamNames(gatewayId(server.metadata.namespace ?? 'default', server.metadata.name), {}).stream;
  const eventBus = bus.bus?.type === 'jetstream' ? bus.bus.jetstream.eventBus : undefined;
  const status = { type, stream, ...(eventBus ? { eventBus } : {}), connectedPods };
  if (bus.problem) return { condition: { type: 'SharedLog', status: false, ...bus.problem }, status };
  const condition: ConditionInput =
    connectedPods > 0
      ? { type: 'SharedLog', status: true, reason: 'LogConnected', message: `${connectedPods} pod(s) share stream ${stream} (${logWhere(bus)})` }
      : {
          type: 'SharedLog',
          status: false,
          reason: 'NoPodConnected',
          message: `no pod has connected to stream ${stream} yet (${logWhere(bus)}); see the gateway pods' logs`,
        };
  return { condition, status };
}

export function serverStatus(inputs: StatusInputs): McpServerStatus {
  const { server, deployment, peers } = inputs;
  const { ready, progressing } = readiness(server, deployment, inputs.bus);
  const log = sharedLog(server, deployment, inputs.bus);
  const replicaFailure = deployment?.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  const missingSecrets = inputs.missingSecrets ?? [];
  const degraded: ConditionInput = inputs.renderError
    ? { type: 'Degraded', status: true, reason: 'InvalidConfiguration', message: inputs.renderError }
    : inputs.bus.problem
      ? { type: 'Degraded', status: true, ...inputs.bus.problem }
      : missingSecrets.length > 0
        ? {
            type: 'Degraded',
            status: true,
            reason: 'SecretNotFound',
            message: `Secret(s) not found in ${server.metadata.namespace}: ${missingSecrets.join(', ')}`,
          }
        : replicaFailure
          ? { type: 'Degraded', status: true, reason: 'ReplicaFailure', message: replicaFailure.message ?? 'pods cannot be created' }
          : { type: 'Degraded', status: false, reason: 'AsExpected', message: 'no problems found' };
  const peersResolved: ConditionInput =
    peers.missing.length === 0
      ? { type: 'PeersResolved', status: true, reason: 'AllPeersResolved', message: `${peers.targets.length} peer(s) resolved` }
      : { type: 'PeersResolved', status: false, reason: 'PeerNotFound', message: `McpServer peer(s) not found: ${peers.missing.join(', ')}` };
  const conditions: Condition[] = nextConditions(
    server.status?.conditions,
    [ready, progressing, degraded, peersResolved, log.condition],
    server.metadata.generation ?? 0,
    inputs.now,
  );
  const endpoints = serverEndpoints(server, inputs.clusterDomain);
  return {
    observedGeneration: server.metadata.generation ?? 0,
    conditions,
    replicas: deployment?.status?.replicas ?? 0,
    readyReplicas: deployment?.status?.readyReplicas ?? 0,
    selector: Object.entries(selectorLabels(server))
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    endpoint: `${endpoints.http}/mcp`,
    endpoints,
    peers: peers.statuses,
    resolvedPeers: peers.targets.length,
    attachedRoutes: inputs.attachedRoutes,
    ...(inputs.configHash ? { configHash: inputs.configHash } : {}),
    bus: log.status,
  };
}
