// The resolved bus as the pod sees it: the gateway config's `bus` section, and the Secret files
// it points at, mounted read-only like spec.security's. Memory renders nothing (the gateway's
// default), so servers that never asked for a bus keep their config and restart hash.
import type { GatewayConfigInput } from '../../src/config/index.js';
import type { NatsCredentials, ResolvedBus, ResolvedJetStream, SecretFile } from '../resolve/bus.js';
import { SECRETS_MOUNT, type SecretMount } from './secrets.js';

/** Where each kind of NATS Secret file is mounted. */
export const NATS_MOUNTS = {
  credentials: `${SECRETS_MOUNT}/nats-credentials`,
  ca: `${SECRETS_MOUNT}/nats-ca`,
  clientCert: `${SECRETS_MOUNT}/nats-client-cert`,
  clientKey: `${SECRETS_MOUNT}/nats-client-key`,
} as const;

/** Each credential's files: the Secret key and the file name it is mounted as. */
function credentialFiles(credentials: NatsCredentials): { file: SecretFile; path: string; setting: keyof CredentialsInput }[] {
  switch (credentials.kind) {
    case 'token':
      return [{ file: credentials.token, path: 'token', setting: 'tokenFile' }];
    case 'userPassword':
      return [
        { file: credentials.user, path: 'user', setting: 'userFile' },
        { file: credentials.password, path: 'password', setting: 'passwordFile' },
      ];
    case 'nkeySeed':
      return [{ file: credentials.seed, path: 'nkey-seed', setting: 'nkeySeedFile' }];
    case 'creds':
      return [{ file: credentials.creds, path: 'user.creds', setting: 'credsFile' }];
    case 'basicAuth':
      return [{ file: credentials.file, path: 'client-auth', setting: 'basicAuthFile' }];
  }
}

type JetStreamInput = NonNullable<NonNullable<GatewayConfigInput['bus']>['jetstream']>;
type CredentialsInput = NonNullable<JetStreamInput['credentials']>;

const mountOf = (volume: string, mountPath: string, file: SecretFile, path: string): SecretMount => ({
  volume,
  secretName: file.secretName,
  mountPath,
  items: [{ key: file.key, path }],
});

export function busSecretMounts(bus: ResolvedBus): SecretMount[] {
  if (bus.type !== 'jetstream') return [];
  const { credentials, tls } = bus.jetstream;
  const mounts: SecretMount[] = [];
  if (credentials) {
    const files = credentialFiles(credentials);
    // One Secret holds every file of one kind of credentials (the API allows one credentialsSecret).
    mounts.push({
      volume: 'nats-credentials',
      secretName: files[0]!.file.secretName,
      mountPath: NATS_MOUNTS.credentials,
      items: files.map((f) => ({ key: f.file.key, path: f.path })),
    });
  }
  if (tls?.ca) mounts.push(mountOf('nats-ca', NATS_MOUNTS.ca, tls.ca, 'ca.crt'));
  if (tls?.cert) mounts.push(mountOf('nats-client-cert', NATS_MOUNTS.clientCert, tls.cert, 'tls.crt'));
  if (tls?.key) mounts.push(mountOf('nats-client-key', NATS_MOUNTS.clientKey, tls.key, 'tls.key'));
  return mounts;
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function jetStreamInput(jetstream: ResolvedJetStream): JetStreamInput {
  const credentials = jetstream.credentials
    ? Object.fromEntries(credentialFiles(jetstream.credentials).map((f) => [f.setting, `${NATS_MOUNTS.credentials}/${f.path}`]))
    : undefined;
  const tls = jetstream.tls
    ? defined({
        caFile: jetstream.tls.ca ? `${NATS_MOUNTS.ca}/ca.crt` : undefined,
        certFile: jetstream.tls.cert ? `${NATS_MOUNTS.clientCert}/tls.crt` : undefined,
        keyFile: jetstream.tls.key ? `${NATS_MOUNTS.clientKey}/tls.key` : undefined,
      })
    : undefined;
  const { replicas, maxAge, maxBytes, duplicateWindow } = jetstream.stream;
  const stream = defined({ replicas, maxAge, maxBytes, duplicateWindow });
  return defined({
    urls: jetstream.urls,
    credentials,
    tls,
    stream: Object.keys(stream).length > 0 ? stream : undefined,
  });
}

/** The gateway config's `bus` section; undefined for memory (the gateway's default). */
export function busConfig(bus: ResolvedBus): GatewayConfigInput['bus'] | undefined {
  return bus.type === 'jetstream' ? { type: 'jetstream', jetstream: jetStreamInput(bus.jetstream) } : undefined;
}
