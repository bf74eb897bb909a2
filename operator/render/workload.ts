// The gateway's Deployment and Service for an McpServer.
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { McpServer } from '../../src/api/index.js';
import { GATEWAY_DEFAULTS } from '../../src/config/defaults.js';
import { ConfigError } from '../../src/config/errors.js';
import { gatewayNodeOptions } from '../../src/config/node-options.js';
import { parseDuration } from '../../src/config/units.js';
import { QuantityError, canonicalResourceQuantity, quantityValue } from '../../src/kube/quantity.js';
import { secretVolumes, type SecretMount } from './secrets.js';
import { tracingEnv } from './tracing-env.js';
import { CONFIG_FILE_NAME, CONFIG_MOUNT_PATH, RESTART_HASH_ANNOTATION, childNames, commonLabels, selectorLabels } from './names.js';

export interface WorkloadOptions {
  /** Image used when the McpServer names none. */
  defaultImage: string;
  restartHash: string;
  /** The Secrets to mount read-only (spec.security's, the bus's and the forwarding targets' TLS). */
  secretMounts: SecretMount[];
}

function ports(server: McpServer) {
  return {
    http: server.spec.ports?.http ?? GATEWAY_DEFAULTS.httpPort,
    grpc: server.spec.ports?.grpc ?? GATEWAY_DEFAULTS.grpcPort,
    health: server.spec.ports?.health ?? GATEWAY_DEFAULTS.healthPort,
  };
}

/** Replicas the Deployment asks for; undefined when an autoscaler owns the count. */
export function desiredReplicas(server: McpServer): number | undefined {
  if (server.spec.autoscaling) return undefined;
  return server.spec.replicas ?? 1;
}

/**
 * spec.resources with every quantity in the API server's canonical form ("1000m" -> "1"), so the
 * live Deployment matches what we render and a steady state sends nothing.
 */
export function canonicalResources(server: McpServer): { requests?: Record<string, string>; limits?: Record<string, string> } | undefined {
  const resources = server.spec.resources;
  if (!resources) return undefined;
  const canonical = (field: 'requests' | 'limits') => {
    const list = resources[field];
    if (!list) return {};
    const entries = Object.entries(list).map(([name, value]) => {
      try {
        return [name, canonicalResourceQuantity(value)] as const;
      } catch (error) {
        if (error instanceof QuantityError) throw new ConfigError(`spec.resources.${field}.${name}`, error.message);
        throw error;
      }
    });
    return { [field]: Object.fromEntries(entries) };
  };
  return { ...canonical('requests'), ...canonical('limits') };
}

/** NODE_OPTIONS for the gateway container: V8 sized to the container's limits. */
export function nodeOptionsFor(resources: ReturnType<typeof canonicalResources>): string {
  const limits = resources?.limits ?? {};
  return gatewayNodeOptions({
    cpu: limits.cpu === undefined ? undefined : quantityValue(limits.cpu),
    memoryBytes: limits.memory === undefined ? undefined : quantityValue(limits.memory),
  }).join(' ');
}

export function renderDeployment(server: McpServer, options: WorkloadOptions): V1Deployment {
  const names = childNames(server);
  const port = ports(server);
  const pod = server.spec.pod ?? {};
  const graceMs =
    parseDuration(server.spec.shutdown?.gracePeriod ?? GATEWAY_DEFAULTS.shutdownGracePeriodMs) ?? GATEWAY_DEFAULTS.shutdownGracePeriodMs;
  const replicas = desiredReplicas(server);
  const secrets = secretVolumes(options.secretMounts);
  const resources = canonicalResources(server);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: names.deployment, namespace: server.metadata.namespace, labels: commonLabels(server) },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      selector: { matchLabels: selectorLabels(server) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: { ...pod.labels, ...commonLabels(server) },
          annotations: { ...pod.annotations, [RESTART_HASH_ANNOTATION]: options.restartHash },
        },
        spec: {
          serviceAccountName: names.serviceAccount,
          automountServiceAccountToken: true,
          // Enough for the gateway's own drain plus a margin for the last writes.
          terminationGracePeriodSeconds: Math.ceil(graceMs / 1000) + 5,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          ...(pod.nodeSelector ? { nodeSelector: pod.nodeSelector } : {}),
          ...(pod.priorityClassName ? { priorityClassName: pod.priorityClassName } : {}),
          ...(pod.tolerations ? { tolerations: pod.tolerations } : {}),
          ...(pod.affinity ? { affinity: pod.affinity } : {}),
          containers: [
            {
              name: 'gateway',
              image: server.spec.image ?? options.defaultImage,
              ...(server.spec.imagePullPolicy ? { imagePullPolicy: server.spec.imagePullPolicy } : {}),
              args: ['--config', `${CONFIG_MOUNT_PATH}/${CONFIG_FILE_NAME}`],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'MCP_SERVER_NAME', value: server.metadata.name },
                { name: 'NODE_OPTIONS', value: nodeOptionsFor(resources) },
                // After POD_NAME and POD_NAMESPACE: OTEL_RESOURCE_ATTRIBUTES refers to them.
                ...tracingEnv(server),
              ],
              ports: [
                { name: 'http', containerPort: port.http, protocol: 'TCP' },
                { name: 'grpc', containerPort: port.grpc, protocol: 'TCP' },
                { name: 'health', containerPort: port.health, protocol: 'TCP' },
              ],
              startupProbe: { httpGet: { path: '/health', port: 'health' }, periodSeconds: 2, failureThreshold: 30 },
              livenessProbe: { httpGet: { path: '/health', port: 'health' }, periodSeconds: 10, failureThreshold: 3 },
              readinessProbe: { httpGet: { path: '/ready', port: 'health' }, periodSeconds: 5, failureThreshold: 2 },
              ...(resources ? { resources } : {}),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'config', mountPath: CONFIG_MOUNT_PATH, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
                ...secrets.volumeMounts,
              ],
            },
          ],
          volumes: [{ name: 'config', configMap: { name: names.configMap } }, { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }, ...secrets.volumes],
        },
      },
    },
  };
}

export function renderService(server: McpServer): V1Service {
  const port = ports(server);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: childNames(server).service, namespace: server.metadata.namespace, labels: commonLabels(server) },
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(server),
      ports: [
        { name: 'http', port: port.http, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' },
        { name: 'grpc', port: port.grpc, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' },
        { name: 'health', port: port.health, targetPort: 'health', protocol: 'TCP', appProtocol: 'http' },
      ],
    },
  };
}

export { ports as serverPorts };
