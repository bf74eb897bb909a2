// spec.observability.tracing as the standard OpenTelemetry variables of the gateway container: the
// gateway reads nothing else for tracing (src/observability/tracing/settings.ts), so what the
// McpServer says and what an operator of the cluster would set by hand are the same thing.
import type { V1EnvVar } from '@kubernetes/client-node';
import type { McpServer } from '../../src/api/index.js';

/** OTEL_RESOURCE_ATTRIBUTES values are percent-encoded where they would break the list (W3C baggage octets). */
const encodeAttribute = (value: string) => value.replace(/[^\x21\x23-\x2b\x2d-\x3a\x3c\x3e-\x5b\x5d-\x7e]/gu, (char) => encodeURIComponent(char));

/** The OTEL_* variables for the McpServer's tracing settings; none when it has none (tracing off). */
export function tracingEnv(server: McpServer): V1EnvVar[] {
  const tracing = server.spec.observability?.tracing;
  if (!tracing) return [];
  const env: V1EnvVar[] = [{ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: tracing.endpoint }];
  if (tracing.samplingRatio !== undefined) {
    env.push(
      { name: 'OTEL_TRACES_SAMPLER', value: 'parentbased_traceidratio' },
      { name: 'OTEL_TRACES_SAMPLER_ARG', value: String(tracing.samplingRatio) },
    );
  }
  if (tracing.serviceName) env.push({ name: 'OTEL_SERVICE_NAME', value: tracing.serviceName });
  // The pod's own identity, then the user's (theirs win where a key repeats: the SDK keeps the last).
  const attributes = [
    'k8s.namespace.name=$(POD_NAMESPACE)',
    'k8s.pod.name=$(POD_NAME)',
    `mcp.server.name=${encodeAttribute(server.metadata.name)}`,
    ...Object.entries(tracing.resourceAttributes ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => `${encodeAttribute(key)}=${encodeAttribute(value)}`),
  ];
  env.push({ name: 'OTEL_RESOURCE_ATTRIBUTES', value: attributes.join(',') });
  return env;
}
