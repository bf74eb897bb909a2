// Secrets as the pod sees them: each referenced Secret (spec.security's here, the bus's in
// bus.ts) mounted read-only under one directory, and the gateway config pointing at the files.
// The gateway re-reads them when they change (keys rotate live); the Secrets' versions are also
// in the restart hash, so a change rolls the pods for anything that must start fresh.
import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { McpServer } from '../../src/api/index.js';
import type { GatewayConfigInput } from '../../src/config/index.js';

export const SECRETS_MOUNT = '/etc/tas-mcp/secrets';

/** One Secret mounted read-only into the gateway container (whole, or the listed keys as files). */
export interface SecretMount {
  volume: string;
  secretName: string;
  mountPath: string;
  items?: { key: string; path: string }[];
}

/** The Secrets spec.security names, as mounts. */
export function securityMounts(server: McpServer): SecretMount[] {
  const security = server.spec.security ?? {};
  const list: SecretMount[] = [];
  if (security.auth?.apiKeysSecret) {
    list.push({ volume: 'api-keys', secretName: security.auth.apiKeysSecret.name, mountPath: `${SECRETS_MOUNT}/api-keys` });
  }
  if (security.auth?.jwt?.keysSecret) {
    const ref = security.auth.jwt.keysSecret;
    list.push({ volume: 'jwt-keys', secretName: ref.name, mountPath: `${SECRETS_MOUNT}/jwt`, items: [{ key: ref.key, path: 'keys' }] });
  }
  if (security.federation) {
    list.push({ volume: 'federation-keys', secretName: security.federation.keysSecret.name, mountPath: `${SECRETS_MOUNT}/federation` });
  }
  if (security.tls) list.push({ volume: 'tls', secretName: security.tls.secretName, mountPath: `${SECRETS_MOUNT}/tls` });
  return list;
}

/** Names of the Secrets mounted, in the server's namespace. */
export function referencedSecrets(mounts: SecretMount[]): string[] {
  return [...new Set(mounts.map((m) => m.secretName))].sort();
}

export function secretVolumes(list: SecretMount[]): { volumes: V1Volume[]; volumeMounts: V1VolumeMount[] } {
  return {
    volumes: list.map((m) => ({ name: m.volume, secret: { secretName: m.secretName, ...(m.items ? { items: m.items } : {}) } })),
    volumeMounts: list.map((m) => ({ name: m.volume, mountPath: m.mountPath, readOnly: true })),
  };
}

/** The auth, federation and tls sections of the gateway config, with the mounted paths. */
export function securityConfig(server: McpServer): Pick<GatewayConfigInput, 'auth' | 'federation' | 'tls'> {
  const security = server.spec.security ?? {};
  const config: Pick<GatewayConfigInput, 'auth' | 'federation' | 'tls'> = {};
  const auth = security.auth;
  if (auth && (auth.mode ?? 'none') !== 'none') {
    config.auth = {
      mode: auth.mode,
      ...(auth.apiKeysSecret ? { apiKeys: { file: `${SECRETS_MOUNT}/api-keys` } } : {}),
      ...(auth.jwt
        ? {
            jwt: {
              ...(auth.jwt.issuer ? { issuer: auth.jwt.issuer } : {}),
              ...(auth.jwt.audience ? { audience: auth.jwt.audience } : {}),
              ...(auth.jwt.jwksUrl ? { jwksUrl: auth.jwt.jwksUrl } : {}),
              ...(auth.jwt.keysSecret ? { keyFile: `${SECRETS_MOUNT}/jwt/keys` } : {}),
            },
          }
        : {}),
      ...(auth.tenantClaim ? { tenantClaim: auth.tenantClaim } : {}),
    };
  }
  if (security.federation) {
    config.federation = {
      keysFile: `${SECRETS_MOUNT}/federation`,
      ...(security.federation.signingKeyId ? { signingKeyId: security.federation.signingKeyId } : {}),
      requireSignatures: security.federation.requireSignatures ?? false,
    };
  }
  if (security.tls) {
    config.tls = {
      certFile: `${SECRETS_MOUNT}/tls/tls.crt`,
      keyFile: `${SECRETS_MOUNT}/tls/tls.key`,
      ...(security.tls.mutual ? { clientCaFile: `${SECRETS_MOUNT}/tls/ca.crt` } : {}),
    };
  }
  return config;
}
