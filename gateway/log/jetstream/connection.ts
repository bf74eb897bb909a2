// The NATS connection of a gateway: servers, credentials and TLS from the config (credential
// files are re-read at every connect, so a rotated Secret is picked up), reconnecting forever
// with jittered waits, and a `connected` flag the log, readiness and metrics follow.
import { readFileSync } from 'node:fs';
import {
  credsAuthenticator,
  nkeyAuthenticator,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type Authenticator,
  type ConnectionOptions,
  type NatsConnection,
} from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../../src/config/index.js';
import type { Logger } from '../../../src/observability/logger.js';
import type { JetStreamConfig } from './settings.js';

export interface NatsLink {
  readonly nc: NatsConnection;
  readonly connected: boolean;
  onChange(listener: (connected: boolean) => void): void;
  close(): Promise<void>;
}

function readSecret(file: string, setting: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(setting, `cannot read ${file}: ${(error as Error).message}`);
  }
}

/**
 * A `username: ...` / `password: ...` YAML file, the format of the client-auth Secret an Argo
 * Events EventBus publishes (status.config.jetstream.accessSecret). Values are never echoed.
 */
export function readBasicAuth(file: string): { username: string; password: string } {
  const setting = 'bus.jetstream.credentials.basicAuthFile';
  const text = readSecret(file, setting);
  let parsed: unknown;
  try {
    // failsafe: every scalar stays a string (a generated password of digits is not a number).
    parsed = parseYaml(text, { schema: 'failsafe' });
  } catch {
    parsed = undefined;
  }
  const { username, password } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new ConfigError(
      setting,
      `${file} must hold YAML with a non-empty "username" and "password" (the format of an Argo Events EventBus client-auth Secret)`,
    );
  }
  return { username, password };
}

/** The authenticator for the configured credentials; each reads its file now (to fail early) and at every connect. */
export function natsAuthenticator(credentials: JetStreamConfig['credentials']): Authenticator | undefined {
  const setting = (name: string) => `bus.jetstream.credentials.${name}`;
  if (credentials.tokenFile) {
    const file = credentials.tokenFile;
    readSecret(file, setting('tokenFile'));
    return tokenAuthenticator(() => readSecret(file, setting('tokenFile')));
  }
  if ((credentials.user || credentials.userFile) && credentials.passwordFile) {
    const file = credentials.passwordFile;
    readSecret(file, setting('passwordFile'));
    const userFile = credentials.userFile;
    if (userFile) readSecret(userFile, setting('userFile'));
    const user = userFile ? () => readSecret(userFile, setting('userFile')) : credentials.user!;
    return usernamePasswordAuthenticator(user, () => readSecret(file, setting('passwordFile')));
  }
  if (credentials.basicAuthFile) {
    const file = credentials.basicAuthFile;
    readBasicAuth(file);
    return usernamePasswordAuthenticator(
      () => readBasicAuth(file).username,
      () => readBasicAuth(file).password,
    );
  }
  if (credentials.nkeySeedFile) {
    const file = credentials.nkeySeedFile;
    readSecret(file, setting('nkeySeedFile'));
    return nkeyAuthenticator(() => new TextEncoder().encode(readSecret(file, setting('nkeySeedFile'))));
  }
  if (credentials.credsFile) {
    const file = credentials.credsFile;
    readSecret(file, setting('credsFile'));
    return credsAuthenticator(() => new TextEncoder().encode(readSecret(file, setting('credsFile'))));
  }
  return undefined;
}

export function natsConnectionOptions(config: JetStreamConfig, name: string): ConnectionOptions {
  const { caFile, certFile, keyFile } = config.tls;
  const authenticator = natsAuthenticator(config.credentials);
  const wantsTls = caFile !== undefined || certFile !== undefined || config.urls!.some((url) => url.startsWith('tls://'));
  return {
    servers: config.urls!,
    name,
    ...(authenticator ? { authenticator } : {}),
    ...(wantsTls ? { tls: Object.assign({}, caFile ? { caFile } : {}, certFile ? { certFile, keyFile: keyFile! } : {}) } : {}),
    // The log is useless without NATS: keep trying, forever, with jittered waits.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    reconnectJitter: 500,
    waitOnFirstConnect: true,
    timeout: 5000,
    pingInterval: 10_000,
    maxPingOut: 3,
  };
}

/**
 * Connects, giving up after `connectTimeout` with a message that says what was tried. Once
 * connected, the client reconnects by itself; `connected` follows.
 */
export async function connectNats(config: JetStreamConfig, name: string, logger: Logger): Promise<NatsLink> {
  const options = natsConnectionOptions(config, name);
  let timer: NodeJS.Timeout | undefined;
  const attempt = connect(options);
  const nc = await Promise.race([
    attempt,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`cannot reach NATS at ${config.urls!.join(', ')} within ${config.connectTimeout} ms (bus.jetstream.connectTimeout)`)),
        config.connectTimeout,
      );
    }),
  ]).catch((error: Error) => {
    // A connection that arrives after we gave up must not linger.
    void attempt.then((late) => late.close()).catch(() => {});
    throw describeConnectError(error, config);
  });
  clearTimeout(timer);

  let connected = true;
  const listeners: ((connected: boolean) => void)[] = [];
  const set = (next: boolean) => {
    if (next === connected) return;
    connected = next;
    for (const listener of listeners) listener(next);
  };
  void (async () => {
    for await (const status of nc.status()) {
      switch (status.type) {
        case 'disconnect':
          logger.warn({ server: status.server }, 'NATS connection lost; reconnecting (ingest answers 503 meanwhile)');
          set(false);
          break;
        case 'reconnect':
          logger.info({ server: status.server }, 'NATS connection restored');
          set(true);
          break;
        case 'error':
          logger.error({ error: String(status.error) }, 'NATS error');
          break;
        default:
          break;
      }
    }
  })();
  void nc.closed().then(() => set(false));
  return {
    nc,
    get connected() {
      return connected && !nc.isClosed();
    },
    onChange(listener) {
      listeners.push(listener);
    },
    async close() {
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}

function describeConnectError(error: Error, config: JetStreamConfig): Error {
  const message = error.message;
  if (/authorization|authentication/i.test(message)) {
    return new ConfigError('bus.jetstream.credentials', `NATS at ${config.urls!.join(', ')} refused the credentials: ${message}`);
  }
  if (/certificate|tls|ssl/i.test(message)) {
    return new ConfigError('bus.jetstream.tls', `TLS with NATS at ${config.urls!.join(', ')} failed: ${message}`);
  }
  return error;
}
