// The Kubernetes Event recorder and its sink, built only when kubernetesEvents.enabled: this is
// the one place the gateway loads the Kubernetes client (about 85 MiB of a process's memory),
// so a gateway without Kubernetes Events does not carry it.
import { hostname } from 'node:os';
import { ConfigError, type GatewayConfig } from '../../src/config/index.js';
import { createKubeClients, loadKubeConfig } from '../../src/kube/client.js';
import { EventRecorder, createEventsApiWriter } from '../../src/kube/event-recorder.js';
import type { Logger } from '../../src/observability/logger.js';
import { KubernetesEventSink } from './kubernetes-events.js';

export interface KubernetesEvents {
  recorder: EventRecorder;
  sink: KubernetesEventSink;
}

/** Credentials in-cluster or from KUBECONFIG; none is a configuration error naming the setting. */
export function createKubernetesEvents(config: GatewayConfig, log: Logger): KubernetesEvents | undefined {
  const settings = config.kubernetesEvents;
  if (!settings.enabled || !settings.regarding) return undefined;
  let clients: ReturnType<typeof createKubeClients>;
  try {
    clients = createKubeClients(loadKubeConfig({}));
  } catch (error) {
    throw new ConfigError(
      'kubernetesEvents.enabled',
      `no Kubernetes credentials (in-cluster service account or KUBECONFIG): ${(error as Error).message}`,
    );
  }
  const recorder = new EventRecorder({
    writer: createEventsApiWriter(clients.events),
    reportingController: 'mcp.tas.ai/gateway',
    reportingInstance: config.identity.instance ?? hostname(),
    qps: settings.qps,
    burst: settings.burst,
    logger: log.child({ component: 'kubernetes-events' }),
  });
  return { recorder, sink: new KubernetesEventSink(recorder, { ...settings, regarding: settings.regarding }) };
}
