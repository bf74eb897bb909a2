// JWT bearer tokens (RS256, ES256): signature against keys from a JWKS URL or a key file (a JWKS
// document or a PEM public key, re-read when it changes), then iss, aud, exp and nbf with a
// clock skew. Each failure is named (expired, wrong audience, ...) without echoing the token.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthFailureReason } from './caller.js';
import { WatchedFiles, type FileEntry } from '../files/watched-files.js';

export interface JwtSettings {
  issuer?: string | undefined;
  audience: string[];
  jwksUrl?: string | undefined;
  keyFile?: string | undefined;
  algorithms: ('RS256' | 'ES256')[];
  clockSkewMs: number;
}

export type JwtResult = { ok: true; payload: JWTPayload } | { ok: false; reason: AuthFailureReason; message: string };

/** Keys from a file: a JWKS document (`{"keys": [...]}`), or PEM public keys (one per file in a directory). */
function parseKeyFile(entries: FileEntry[]): JWTVerifyGetKey {
  if (entries.length === 1 && entries[0]!.content.trimStart().startsWith('{')) {
    let document: unknown;
    try {
      document = JSON.parse(entries[0]!.content);
    } catch (error) {
      throw new Error(`not a valid JWKS document: ${(error as Error).message}`, { cause: error });
    }
    return createLocalJWKSet(document as Parameters<typeof createLocalJWKSet>[0]);
  }
  const pems: { name: string | undefined; key: KeyObject }[] = entries.map((entry) => {
    try {
      return { name: entry.name, key: createPublicKey(entry.content) };
    } catch (error) {
      throw new Error(`${entry.name ?? 'key file'}: not a PEM public key or JWKS: ${(error as Error).message}`, { cause: error });
    }
  });
  if (pems.length === 0) throw new Error('holds no keys');
  return (header) => {
    const wanted = header.alg === 'ES256' ? 'ec' : 'rsa';
    const candidates = pems.filter((pem) => pem.key.asymmetricKeyType === wanted);
    const byKid = header.kid === undefined ? undefined : candidates.find((pem) => pem.name === header.kid);
    const key = byKid ?? candidates[0];
    if (!key) throw Object.assign(new Error('no key for this algorithm'), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
    return key.key;
  };
}

export class JwtVerifier {
  private readonly fileKeys: WatchedFiles<JWTVerifyGetKey> | undefined;
  private readonly remoteKeys: JWTVerifyGetKey | undefined;

  constructor(
    private readonly settings: JwtSettings,
    watch: { intervalMs: number; onError: (message: string) => void },
  ) {
    if (settings.keyFile) this.fileKeys = new WatchedFiles({ paths: [settings.keyFile], parse: parseKeyFile, ...watch });
    if (settings.jwksUrl) this.remoteKeys = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 });
    if (!this.fileKeys && !this.remoteKeys) throw new Error('JWT verification needs jwt.jwksUrl or jwt.keyFile');
  }

  async verify(token: string): Promise<JwtResult> {
    const getKey: JWTVerifyGetKey = this.fileKeys ? this.fileKeys.value : this.remoteKeys!;
    try {
      const { payload } = await jwtVerify(token, getKey, {
        algorithms: this.settings.algorithms,
        clockTolerance: Math.ceil(this.settings.clockSkewMs / 1000),
        ...(this.settings.issuer ? { issuer: this.settings.issuer } : {}),
        ...(this.settings.audience.length > 0 ? { audience: this.settings.audience } : {}),
      });
      return { ok: true, payload };
    } catch (error) {
      return describeFailure(error as { code?: string; claim?: string; message?: string });
    }
  }

  close(): void {
    this.fileKeys?.close();
  }
}

function describeFailure(error: { code?: string; claim?: string }): JwtResult & { ok: false } {
  switch (error.code) {
    case 'ERR_JWT_EXPIRED':
      return { ok: false, reason: 'expired_token', message: 'the bearer token has expired' };
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (error.claim === 'aud') return { ok: false, reason: 'wrong_audience', message: 'the bearer token is not for this audience (aud)' };
      if (error.claim === 'iss') return { ok: false, reason: 'wrong_issuer', message: 'the bearer token has the wrong issuer (iss)' };
      if (error.claim === 'nbf') return { ok: false, reason: 'token_not_yet_valid', message: 'the bearer token is not valid yet (nbf)' };
      return { ok: false, reason: 'invalid_token', message: `the bearer token's ${error.claim ?? 'claims'} claim is not valid` };
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return { ok: false, reason: 'bad_signature', message: 'the bearer token signature does not verify' };
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return { ok: false, reason: 'algorithm_not_allowed', message: 'the bearer token is signed with an algorithm not allowed here' };
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return { ok: false, reason: 'unknown_signing_key', message: 'the bearer token is signed with an unknown key' };
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return { ok: false, reason: 'auth_unavailable', message: 'signing keys cannot be fetched right now; retry later' };
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return { ok: false, reason: 'malformed_token', message: 'the bearer token is not a well-formed JWT' };
    default:
      // Not a verdict on the token (a JWKS endpoint that cannot be reached, say).
      if (!error.code?.startsWith('ERR_J'))
        return { ok: false, reason: 'auth_unavailable', message: 'signing keys cannot be fetched right now; retry later' };
      return { ok: false, reason: 'malformed_token', message: 'the bearer token is not a well-formed JWT' };
  }
}
