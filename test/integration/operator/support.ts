// Running a real operator (in this process) against a real API server, and reading what it did.
import { CustomObjectsApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { createOperator, type Operator } from '../../../operator/operator.js';
import { loadOperatorSettings } from '../../../operator/settings.js';
import { createKubeClients, loadKubeConfig } from '../../../src/kube/client.js';
import { createLogger } from '../../../src/observability/logger.js';

export interface TestOperator {
  operator: Operator;
  /** What start() answered: the health port, and the map's when MAP_PORT was set. */
  ports: { healthPort: number; mapPort?: number };
  stop(): Promise<void>;
}

export async function startTestOperator(kubeconfig: string, env: Record<string, string> = {}): Promise<TestOperator> {
  const settings = loadOperatorSettings({ LEADER_ELECT: 'false', HEALTH_PORT: '0', BIND_HOST: '127.0.0.1', WORKERS: '2', ...env });
  const lost: string[] = [];
  const operator = createOperator(settings, {
    kubeConfig: loadKubeConfig({ path: kubeconfig }),
    logger: createLogger({ name: 'test-operator', level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent' }),
    onLostLeadership: () => lost.push('lost'),
  });
  const ports = await operator.start();
  return { operator, ports, stop: () => operator.stop() };
}

export function kube(kubeconfig: string) {
  const kc = loadKubeConfig({ path: kubeconfig });
  const clients = createKubeClients(kc);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const plural = (kind: string) => (kind === 'McpRoute' ? 'mcproutes' : 'mcpservers');
  return {
    clients,
    /** Creates or replaces an McpServer/McpRoute by server-side apply, as kubectl apply --server-side would. */
    async apply(object: { kind: string; metadata: { name: string; namespace: string }; spec: unknown }) {
      return clients.objects.patch(
        { apiVersion: 'mcp.tas.ai/v1alpha1', ...object } as KubernetesObject,
        undefined,
        undefined,
        'test-user',
        true,
        PatchStrategy.ServerSideApply,
      );
    },
    async getCustom<T = Record<string, any>>(kind: string, namespace: string, name: string): Promise<T | undefined> {
      try {
        return (await custom.getNamespacedCustomObject({ group: 'mcp.tas.ai', version: 'v1alpha1', namespace, plural: plural(kind), name })) as T;
      } catch (error) {
        if ((error as { code?: number }).code === 404) return undefined;
        throw error;
      }
    },
    async deleteCustom(kind: string, namespace: string, name: string) {
      await custom.deleteNamespacedCustomObject({ group: 'mcp.tas.ai', version: 'v1alpha1', namespace, plural: plural(kind), name });
    },
    /** Any object by apiVersion/kind, or undefined. */
    async read<T = Record<string, any>>(apiVersion: string, kind: string, namespace: string, name: string): Promise<T | undefined> {
      try {
        return (await clients.objects.read({ apiVersion, kind, metadata: { name, namespace } })) as T;
      } catch (error) {
        if ((error as { code?: number }).code === 404) return undefined;
        throw error;
      }
    },
  };
}

export function condition(
  object: { status?: { conditions?: { type: string; status: string; reason: string; message?: string }[] } } | undefined,
  type: string,
) {
  return object?.status?.conditions?.find((c) => c.type === type);
}
