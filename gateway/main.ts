// Gateway process entry point: read the flags (-config FILE, -version), load the config (exit 2
// when it is wrong, naming the setting), start, and on SIGTERM/SIGINT drain and exit 0.
import { ConfigError, loadConfig, type GatewayConfig } from '../src/config/index.js';
import { createLogger } from '../src/observability/logger.js';
import { VERSION } from '../src/version.js';
import { parseGatewayArgs, USAGE } from './cli-args.js';
import { createGateway } from './gateway.js';

async function main(): Promise<void> {
  const args = parseGatewayArgs(process.argv.slice(2));
  if (args.kind === 'version') {
    process.stdout.write(`TAS MCP gateway v${VERSION}\n`);
    process.exit(0);
  }
  if (args.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (args.kind === 'error') {
    process.stderr.write(`tas-mcp gateway: ${args.message}\n${USAGE}\n`);
    process.exit(2);
  }
  let config: GatewayConfig;
  const configFile = args.configFile ?? process.env.CONFIG_FILE;
  try {
    config = loadConfig({ file: configFile });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tas-mcp gateway: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }

  const logger = createLogger({ name: 'tas-mcp-gateway', level: config.logLevel });
  let gateway: Awaited<ReturnType<typeof createGateway>>;
  try {
    gateway = await createGateway(config, { logger, version: VERSION, configFile, env: process.env });
  } catch (error) {
    // A secret (key file) that is missing or unusable is a configuration error, named like one.
    if (error instanceof ConfigError) {
      process.stderr.write(`tas-mcp gateway: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }

  let exiting = false;
  const shutdown = (signal: string) => {
    if (exiting) return;
    exiting = true;
    logger.info({ signal }, 'shutdown requested');
    gateway.stop().then(
      () => {
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    await gateway.start();
  } catch (error) {
    // Settings checked at start (credentials, certificates) stop it like any bad setting.
    if (error instanceof ConfigError) process.stderr.write(`tas-mcp gateway: ${error.message}\n`);
    logger.fatal({ err: error }, 'gateway failed to start');
    logger.flush();
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
}

void main();
