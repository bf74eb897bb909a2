// McpServer status from what the cluster shows: the Deployment's replicas and conditions, the
// peers resolved, the routes attached.
import type { V1Deployment } from '@kubernetes/client-node';
import type { Condition, McpServer, McpServerStatus } from '../../src/api/index.js';
import { selectorLabels } from '../render/names.js';
import { desiredReplicas } from '../render/workload.js';
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
  clusterDomain: string;
  now: Date;
}

function readiness(server: McpServer, deployment: V1Deployment | undefined): { ready: ConditionInput; progressing: ConditionInput } {
  const wanted = deployment?.spec?.replicas ?? desiredReplicas(server) ?? 1;
  const ready = deployment?.status?.readyReplicas ?? 0;
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
          : { type: 'Ready', status: false, reason: 'PodsNotReady', message: `${ready}/${wanted} gateway pods ready` },
    progressing: !deployment
      ? { type: 'Progressing', status: true, reason: 'Creating', message: 'creating the gateway Deployment' }
      : rolledOut
        ? { type: 'Progressing', status: false, reason: 'RolloutComplete', message: 'every pod runs the current configuration' }
        : { type: 'Progressing', status: true, reason: 'RollingOut', message: `${updated}/${wanted} pods updated` },
  };
}

export function serverStatus(inputs: StatusInputs): McpServerStatus {
  const { server, deployment, peers } = inputs;
  const { ready, progressing } = readiness(server, deployment);
  const replicaFailure = deployment?.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  const missingSecrets = inputs.missingSecrets ?? [];
  const degraded: ConditionInput = inputs.renderError
    ? { type: 'Degraded', status: true, reason: 'InvalidConfiguration', message: inputs.renderError }
    : missingSecrets.length > 0
      ? { type: 'Degraded', status: true, reason: 'SecretNotFound', message: `Secret(s) not found in ${server.metadata.namespace}: ${missingSecrets.join(', ')}` }
      : replicaFailure
      ? { type: 'Degraded', status: true, reason: 'ReplicaFailure', message: replicaFailure.message ?? 'pods cannot be created' }
      : { type: 'Degraded', status: false, reason: 'AsExpected', message: 'no problems found' };
  const peersResolved: ConditionInput =
    peers.missing.length === 0
      ? { type: 'PeersResolved', status: true, reason: 'AllPeersResolved', message: `${peers.targets.length} peer(s) resolved` }
      : { type: 'PeersResolved', status: false, reason: 'PeerNotFound', message: `McpServer peer(s) not found: ${peers.missing.join(', ')}` };
  const conditions: Condition[] = nextConditions(
    server.status?.conditions,
    [ready, progressing, degraded, peersResolved],
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
  };
}
