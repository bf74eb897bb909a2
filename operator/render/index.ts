// Everything one McpServer renders to, as plain objects ready for server-side apply.
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import type { McpServer } from '../../src/api/index.js';
import { renderRole, renderRoleBinding, renderServiceAccount } from './access.js';
import { renderGatewayConfig, type GatewayWiring, type RenderedGatewayConfig } from './gateway-config.js';
import { CONFIG_FILE_NAME, childNames, commonLabels } from './names.js';
import { busSecretMounts } from './bus.js';
import { renderAutoscaler, renderDisruptionBudget } from './scaling.js';
import { securityMounts, type SecretMount } from './secrets.js';
import { targetSecretMounts } from './target-tls.js';
import { renderDeployment, renderService } from './workload.js';

export interface RenderContext extends GatewayWiring {
  defaultImage: string;
  /** Secrets the peers' and route targets' TLS settings use (mounted under TARGET_SECRETS_MOUNT). */
  targetSecrets?: readonly string[];
}

export interface RenderedServer {
  config: RenderedGatewayConfig;
  /** Children to apply. */
  objects: KubernetesObject[];
  /** Kinds of optional children that must not exist (their spec field was removed). */
  absent: { apiVersion: string; kind: string; name: string }[];
}

/** Every Secret the pods mount: spec.security's, the bus's and the forwarding targets' TLS. */
export function serverSecretMounts(server: McpServer, bus: RenderContext['bus'], targetSecrets: readonly string[] = []): SecretMount[] {
  return [...securityMounts(server), ...busSecretMounts(bus), ...targetSecretMounts(targetSecrets)];
}

export function renderServer(server: McpServer, context: RenderContext): RenderedServer {
  const config = renderGatewayConfig(server, {
    peers: context.peers,
    routes: context.routes,
    secretVersions: context.secretVersions ?? {},
    bus: context.bus,
  });
  const names = childNames(server);
  const configMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: names.configMap, namespace: server.metadata.namespace, labels: commonLabels(server) },
    data: { [CONFIG_FILE_NAME]: config.yaml },
  };
  const autoscaler = renderAutoscaler(server);
  const budget = renderDisruptionBudget(server);
  const objects: KubernetesObject[] = [
    renderServiceAccount(server),
    renderRole(server),
    renderRoleBinding(server),
    configMap,
    renderService(server),
    renderDeployment(server, {
      defaultImage: context.defaultImage,
      restartHash: config.restartHash,
      secretMounts: serverSecretMounts(server, context.bus, context.targetSecrets ?? []),
    }),
  ];
  const absent: RenderedServer['absent'] = [];
  if (autoscaler) objects.push(autoscaler);
  else absent.push({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: names.autoscaler });
  if (budget) objects.push(budget);
  else absent.push({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', name: names.disruptionBudget });
  return { config, objects, absent };
}
