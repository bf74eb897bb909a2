// What a gateway pod may do in the API: record Events about its server and read its own config.
import type { V1Role, V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import type { McpServer } from '../../src/api/index.js';
import { childNames, commonLabels } from './names.js';

export function renderServiceAccount(server: McpServer): V1ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: childNames(server).serviceAccount, namespace: server.metadata.namespace, labels: commonLabels(server) },
  };
}

export function renderRole(server: McpServer): V1Role {
  const names = childNames(server);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: names.role, namespace: server.metadata.namespace, labels: commonLabels(server) },
    rules: [
      // Events about dispatched MCP events and about itself, new ones and series updates.
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
      // Its rendered configuration, and nothing else in the namespace.
      { apiGroups: [''], resources: ['configmaps'], resourceNames: [names.configMap], verbs: ['get', 'list', 'watch'] },
      // Its own McpServer, to name it in Events.
      { apiGroups: ['mcp.tas.ai'], resources: ['mcpservers'], resourceNames: [server.metadata.name], verbs: ['get'] },
    ],
  };
}

export function renderRoleBinding(server: McpServer): V1RoleBinding {
  const names = childNames(server);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: names.roleBinding, namespace: server.metadata.namespace, labels: commonLabels(server) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: names.role },
    subjects: [{ kind: 'ServiceAccount', name: names.serviceAccount, namespace: server.metadata.namespace }],
  };
}
