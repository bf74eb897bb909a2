// Whether tracing is on, from the standard OpenTelemetry variables, checked before anything of the
// SDK is loaded: on when an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT, or the traces-only
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and OTEL_SDK_DISABLED is not true. The SDK reads the rest
// itself (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER / _ARG, OTEL_BSP_*,
// OTEL_EXPORTER_OTLP_*); the ones it would only complain about and ignore are refused here instead,
// named, like any other bad setting.
import { ConfigError } from '../../config/errors.js';

export interface TracingSettings {
  /** Where spans go (for logs): the traces endpoint, or the base endpoint. */
  endpoint: string;
}

/** The samplers the SDK builds from OTEL_TRACES_SAMPLER. */
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

const set = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/** Tracing settings, or undefined when tracing is off; a ConfigError names a variable that is wrong. */
export function tracingSettings(env: NodeJS.ProcessEnv): TracingSettings | undefined {
  const tracesEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const baseEndpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!set(tracesEndpoint) && !set(baseEndpoint)) return undefined;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  for (const [name, value] of [
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', baseEndpoint],
  ] as const) {
    if (!set(value)) continue;
    let url: URL;
    try {
      url = new URL(value.trim());
    } catch {
      throw new ConfigError(name, `${JSON.stringify(value)} is not a URL (e.g. http://jaeger-collector:4318)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError(name, `${JSON.stringify(value)}: spans are sent as OTLP over HTTP, so the URL must start with http:// or https://`);
    }
  }
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL;
  // The exporter speaks OTLP/HTTP with JSON bodies, which every OTLP/HTTP receiver takes; gRPC it cannot.
  if (set(protocol) && !['http/json', 'http/protobuf'].includes(protocol.trim())) {
    const name = set(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
    throw new ConfigError(
      name,
      `${JSON.stringify(protocol)}: spans are exported as OTLP over HTTP (port 4318 on most receivers); use http/json or leave it unset`,
    );
  }
  const sampler = env.OTEL_TRACES_SAMPLER?.trim();
  if (set(sampler) && !(SAMPLERS as readonly string[]).includes(sampler)) {
    throw new ConfigError('OTEL_TRACES_SAMPLER', `${JSON.stringify(sampler)} is not one of ${SAMPLERS.join(', ')}`);
  }
  const ratio = env.OTEL_TRACES_SAMPLER_ARG;
  if (set(ratio) && sampler?.endsWith('traceidratio')) {
    const value = Number(ratio);
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new ConfigError('OTEL_TRACES_SAMPLER_ARG', `${JSON.stringify(ratio)}: the sampling ratio of ${sampler} must be a number from 0 to 1`);
    }
  }
  const attributes = env.OTEL_RESOURCE_ATTRIBUTES;
  if (set(attributes)) {
    for (const pair of attributes.split(',')) {
      const [key, value] = pair.split('=');
      if (!key?.trim() || value === undefined) {
        throw new ConfigError('OTEL_RESOURCE_ATTRIBUTES', `${JSON.stringify(pair)}: expected comma-separated key=value pairs`);
      }
    }
  }
  return { endpoint: set(tracesEndpoint) ? tracesEndpoint.trim() : baseEndpoint!.trim() };
}
