// Operator process entry point: settings from the environment (exit 2 naming a bad one), run
// until SIGTERM/SIGINT, then stop cleanly and release the leader Lease.
import { ConfigError } from '../src/config/errors.js';
import { loadKubeConfig } from '../src/kube/client.js';
import { createLogger } from '../src/observability/logger.js';
import { VERSION } from '../src/version.js';
import { createOperator } from './operator.js';
import { loadOperatorSettings, type OperatorSettings } from './settings.js';
import { loadOperatorTracing, type OperatorTracing } from './tracing/load.js';

async function main(): Promise<void> {
  let settings: OperatorSettings;
  let tracing: OperatorTracing | undefined;
  try {
    settings = loadOperatorSettings(process.env);
    tracing = await loadOperatorTracing(process.env, VERSION, settings.POD_NAME);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tas-mcp operator: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ name: 'tas-mcp-operator', level: settings.LOG_LEVEL });
  let kubeConfig;
  try {
    kubeConfig = loadKubeConfig(settings.KUBECONFIG ? { path: settings.KUBECONFIG } : {});
  } catch (error) {
    logger.fatal({ err: error }, 'no usable kubeconfig');
    logger.flush();
    process.exit(2);
  }
  const operator = createOperator(settings, {
    kubeConfig,
    logger,
    onLostLeadership: () => shutdown('lost leadership', 1),
    traceReconcile: tracing?.traceReconcile,
  });
  if (tracing) logger.info({ endpoint: tracing.endpoint }, 'tracing reconciles');

  let exiting = false;
  function shutdown(why: string, code: number): void {
    if (exiting) return;
    exiting = true;
    logger.info({ why }, 'shutting down');
    operator
      .stop()
      .then(() => tracing?.shutdown(5_000))
      .then(
        () => {
          logger.flush();
          process.exit(code);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          logger.flush();
          process.exit(1);
        },
      );
  }
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  process.on('SIGINT', () => shutdown('SIGINT', 0));
  await operator.start();
}

void main();
