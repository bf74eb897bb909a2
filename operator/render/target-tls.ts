// TLS to forwarding targets (spec.peers[].tls, an McpRoute's targets[].tls) as the pod sees it:
// each referenced Secret mounted read-only under one directory, and the target's tls block in
// the gateway config pointing at the files. The Secrets' versions go into the restart hash with
// the server's own, so a renewed certificate rolls the pods.
import { createHash } from 'node:crypto';
import type { TargetTls } from '../../src/api/common.js';
import { SECRETS_MOUNT, type SecretMount } from './secrets.js';

export const TARGET_SECRETS_MOUNT = `${SECRETS_MOUNT}/targets`;

/** The gateway config's tls block of a target (src/config/schema.ts). */
export interface TargetTlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  serverName?: string;
}

/** The files a target's TLS spec names, and the Secrets they come from. */
export function targetTlsFiles(spec: TargetTls | undefined): { tls?: TargetTlsFiles; secrets: string[] } {
  if (!spec) return { secrets: [] };
  const tls: TargetTlsFiles = {};
  const secrets: string[] = [];
  if (spec.caSecret) {
    tls.caFile = `${TARGET_SECRETS_MOUNT}/${spec.caSecret.name}/${spec.caSecret.key ?? 'ca.crt'}`;
    secrets.push(spec.caSecret.name);
  }
  if (spec.clientCertSecret) {
    tls.certFile = `${TARGET_SECRETS_MOUNT}/${spec.clientCertSecret.name}/tls.crt`;
    tls.keyFile = `${TARGET_SECRETS_MOUNT}/${spec.clientCertSecret.name}/tls.key`;
    secrets.push(spec.clientCertSecret.name);
  }
  if (spec.serverName) tls.serverName = spec.serverName;
  return { tls, secrets };
}

/** A read-only mount per Secret the targets use, where their tls blocks point. */
export function targetSecretMounts(secrets: readonly string[]): SecretMount[] {
  // Volume names are DNS labels of at most 63 characters: a short hash of the Secret's name.
  const volume = (secret: string) => `target-tls-${createHash('sha256').update(secret).digest('hex').slice(0, 12)}`;
  return [...new Set(secrets)]
    .sort()
    .map((secret) => ({ volume: volume(secret), secretName: secret, mountPath: `${TARGET_SECRETS_MOUNT}/${secret}` }));
}
