// A HorizontalPodAutoscaler when autoscaling is set; a PodDisruptionBudget when more than one
// pod can run, so voluntary disruptions never take every gateway at once.
import type { V1PodDisruptionBudget, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { McpServer } from '../../src/api/index.js';
import { childNames, commonLabels, selectorLabels } from './names.js';

export function renderAutoscaler(server: McpServer): V2HorizontalPodAutoscaler | undefined {
  const autoscaling = server.spec.autoscaling;
  if (!autoscaling) return undefined;
  const names = childNames(server);
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: names.autoscaler, namespace: server.metadata.namespace, labels: commonLabels(server) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: names.deployment },
      minReplicas: autoscaling.minReplicas ?? 1,
      maxReplicas: autoscaling.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: autoscaling.targetCPUUtilizationPercentage ?? 70 } },
        },
      ],
    },
  };
}

/** The most pods the server can run: its replicas, or its autoscaler's maximum. */
export function mostReplicas(server: McpServer): number {
  return server.spec.autoscaling ? server.spec.autoscaling.maxReplicas : (server.spec.replicas ?? 1);
}

export function renderDisruptionBudget(server: McpServer): V1PodDisruptionBudget | undefined {
  if (mostReplicas(server) <= 1) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: childNames(server).disruptionBudget, namespace: server.metadata.namespace, labels: commonLabels(server) },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(server) } },
  };
}
