// Watches the config file the operator renders (a mounted ConfigMap) and applies what can change
// without a restart: peers and routes. Anything else that changed is logged as waiting for the
// restart the operator rolls; a file that no longer parses is logged and ignored.
import { watchFile, unwatchFile } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { ConfigError, loadConfig, type GatewayConfig } from '../src/config/index.js';
import type { Logger } from '../src/observability/logger.js';

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
  const check = () => {
    let next: GatewayConfig;
    try {
      next = loadConfig({ env: options.env, file: options.file });
    } catch (error) {
      const message = error instanceof ConfigError ? error.message : (error as Error).message;
      log.error({ file: options.file, error: message }, 'config file changed but cannot be used; keeping the running config');
      return;
    }
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
  // Polling, not fs.watch: a ConfigMap volume swaps a symlink, which inotify-based watches miss.
  watchFile(options.file, { interval: options.intervalMs ?? 1000, persistent: false }, check);
  return () => unwatchFile(options.file, check);
}
