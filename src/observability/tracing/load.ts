// Tracing for a process, or undefined when it is off: the OTEL_* settings are checked first, and
// the SDK (sdk.ts) is imported only when they turn tracing on, so a process without tracing loads
// none of it.
import { tracingSettings } from './settings.js';
import type { Tracing, TracingOptions } from './sdk.js';

export type { Tracing, TracingOptions } from './sdk.js';

export async function loadTracing(env: NodeJS.ProcessEnv, options: TracingOptions): Promise<(Tracing & { endpoint: string }) | undefined> {
  const settings = tracingSettings(env);
  if (!settings) return undefined;
  const { startTracing } = await import('./sdk.js');
  return Object.assign(startTracing(options), { endpoint: settings.endpoint });
}
