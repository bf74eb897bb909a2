// The kinds the operator watches, as the informers and the object client name them.
import type { ResourceDescriptor } from '../src/kube/list-watch-source.js';

export const MCP_SERVER: ResourceDescriptor = { apiVersion: 'mcp.tas.ai/v1alpha1', kind: 'McpServer', plural: 'mcpservers', namespaced: true };
export const MCP_ROUTE: ResourceDescriptor = { apiVersion: 'mcp.tas.ai/v1alpha1', kind: 'McpRoute', plural: 'mcproutes', namespaced: true };

/** Children of an McpServer, by kind; each is watched (with our managed-by label) to repair drift. */
export const CHILD_RESOURCES = {
  ServiceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  Role: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', plural: 'roles', namespaced: true },
  RoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
  ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  Service: { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  Deployment: { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  HorizontalPodAutoscaler: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true },
  PodDisruptionBudget: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true },
} as const satisfies Record<string, ResourceDescriptor>;

export type ChildKind = keyof typeof CHILD_RESOURCES;
