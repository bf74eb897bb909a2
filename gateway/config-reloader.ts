// Watches the config file the operator renders (a mounted ConfigMap) and applies what can change
// without a restart: peers and routes. Anything else that changed is logged as waiting for the
// restart the operator rolls; a file that no longer parses is logged and ignored.
import { isDeepStrictEqual } from 'node:util';
import { loadConfig, type GatewayConfig } from '../src/config/index.js';
import type { Logger } from '../src/observability/logger.js';
import { WatchedFiles } from './files/watched-files.js';

export interface ConfigReloaderOptions {
  file: string;
  env: NodeJS.ProcessEnv;
  initial: GatewayConfig;
  logger: Logger;
  /** Applies a new config's live-reloadable parts. */
  apply: (config: GatewayConfig) => void;
  intervalMs?: number;
}

/** Settings a running gateway takes on without a restart. */
const LIVE_SETTINGS = ['forwarding', 'routes'] as const;

export function watchConfig(options: ConfigReloaderOptions): () => void {
  let current = options.initial;
  const log = options.logger;
  const changed = (next: GatewayConfig) => {
    if (isDeepStrictEqual(next, current)) return;
    const restartOnly = Object.keys(next).filter(
      (key) =>
        !(LIVE_SETTINGS as readonly string[]).includes(key) &&
        !isDeepStrictEqual(next[key as keyof GatewayConfig], current[key as keyof GatewayConfig]),
    );
    if (restartOnly.length > 0) log.warn({ settings: restartOnly }, 'config changed in settings that take effect on restart');
    const liveChanged = LIVE_SETTINGS.some((key) => !isDeepStrictEqual(next[key], current[key]));
    current = next;
    if (liveChanged) {
      options.apply(next);
      log.info({ file: options.file }, 'config reloaded: peers and routes applied');
    }
  };
  // The file's contents are the trigger; the config is loaded as at start (with the environment).
  const watched = new WatchedFiles<GatewayConfig>({
    paths: [options.file],
    parse: () => loadConfig({ env: options.env, file: options.file }),
    intervalMs: options.intervalMs ?? 1000,
    onError: (message) => log.error({ file: options.file, error: message }, 'config file changed but cannot be used; keeping the running config'),
    onReload: changed,
  });
  return () => watched.close();
}
