// Names and labels of the objects rendered for one McpServer.
import type { McpServer } from '../../src/api/index.js';

export const MANAGED_BY = 'tas-mcp-operator';
export const SERVER_LABEL = 'mcp.tas.ai/server';
export const CONFIG_FILE_NAME = 'gateway.yaml';
export const CONFIG_MOUNT_PATH = '/etc/tas-mcp';
/** Pod template annotation: a change to it rolls the pods. */
export const RESTART_HASH_ANNOTATION = 'mcp.tas.ai/restart-hash';

export function childNames(server: McpServer) {
  const name = server.metadata.name;
  return {
    deployment: name,
    service: name,
    configMap: `${name}-gateway-config`,
    serviceAccount: `${name}-gateway`,
    role: `${name}-gateway`,
    roleBinding: `${name}-gateway`,
    autoscaler: name,
    disruptionBudget: name,
  };
}

/** The labels that select a server's pods; never change them, a Deployment selector is immutable. */
export function selectorLabels(server: McpServer): Record<string, string> {
  return { 'app.kubernetes.io/name': 'tas-mcp-gateway', 'app.kubernetes.io/instance': server.metadata.name };
}

export function commonLabels(server: McpServer): Record<string, string> {
  return {
    ...selectorLabels(server),
    'app.kubernetes.io/component': 'gateway',
    'app.kubernetes.io/managed-by': MANAGED_BY,
    [SERVER_LABEL]: server.metadata.name,
  };
}

/** Cluster-internal DNS name of a server's Service. */
export function serviceHost(name: string, namespace: string, clusterDomain = 'cluster.local'): string {
  return `${name}.${namespace}.svc.${clusterDomain}`;
}
