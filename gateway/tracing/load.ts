// The gateway's tracing, or undefined when the environment leaves it off: then nothing of the
// OpenTelemetry SDK is loaded, and each hot-path hook is one check of an undefined field.
import { loadTracing } from '../../src/observability/tracing/load.js';
import type { GatewayTracing } from './gateway-tracing.js';

export type { GatewayTracing } from './gateway-tracing.js';

export interface GatewayTracingOptions {
  env: NodeJS.ProcessEnv;
  version: string;
  /** This gateway's id (spans carry it) and instance (service.instance.id). */
  gatewayId: string;
  instance: string;
}

export async function loadGatewayTracing(options: GatewayTracingOptions): Promise<GatewayTracing | undefined> {
  const tracing = await loadTracing(options.env, {
    serviceName: 'tas-mcp-gateway',
    serviceVersion: options.version,
    attributes: { 'service.instance.id': options.instance },
  });
  if (!tracing) return undefined;
  const { createGatewayTracing } = await import('./gateway-tracing.js');
  return createGatewayTracing(tracing, options.gatewayId);
}
