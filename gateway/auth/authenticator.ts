// Authentication for every ingress: turns the credentials a request presented into a Caller, or
// a failure that says what is wrong (missing, unknown key, expired token, wrong audience, ...)
// and never repeats the secret. Mode `none` lets everyone in as an anonymous caller.
import type { Logger } from '../../src/observability/logger.js';
import { findApiKey, parseApiKeys, type ApiKey } from './api-keys.js';
import { anonymous, type AuthResult, type Credentials } from './caller.js';
import type { JwtSettings } from './jwt-verifier.js';
import { WatchedFiles } from '../files/watched-files.js';

export type AuthMode = 'none' | 'apiKey' | 'jwt' | 'any';

export interface AuthSettings {
  mode: AuthMode;
  apiKeysFile?: string | undefined;
  jwt: JwtSettings;
  tenantClaim: string;
  reloadIntervalMs: number;
  /** Peers may present their federation signatures instead of credentials (federation keys are held). */
  acceptPeers: boolean;
}

export interface Authenticator {
  readonly mode: AuthMode;
  authenticate(credentials: Credentials): Promise<AuthResult>;
  close(): void;
}

/** A compact JWS: three base64url parts. Anything else after `Bearer` is taken as an API key (mode any). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Longest credential looked at; longer ones are refused before any hashing or parsing. */
const MAX_CREDENTIAL_LENGTH = 16 * 1024;

export async function createAuthenticator(settings: AuthSettings, logger: Logger): Promise<Authenticator> {
  const mode = settings.mode;
  if (mode === 'none') {
    return { mode, authenticate: async (credentials) => ({ ok: true, caller: anonymous(credentials.address) }), close() {} };
  }
  const watch = {
    intervalMs: settings.reloadIntervalMs,
    onError: (message: string) => logger.error({ error: message }, 'auth keys changed but cannot be used; keeping the previous ones'),
  };
  const apiKeys =
    (mode === 'apiKey' || mode === 'any') && settings.apiKeysFile
      ? new WatchedFiles<ApiKey[]>({
          paths: [settings.apiKeysFile],
          parse: parseApiKeys,
          ...watch,
          onReload: (keys) => logger.info({ keys: keys.length }, 'API keys reloaded'),
        })
      : undefined;
  // The JWT verifier (and jose) is loaded only where tokens are accepted: about 3 MiB of RSS otherwise unused.
  const jwt =
    (mode === 'jwt' || mode === 'any') && (settings.jwt.jwksUrl || settings.jwt.keyFile)
      ? new (await import('./jwt-verifier.js')).JwtVerifier(settings.jwt, watch)
      : undefined;

  const byApiKey = (presented: string): AuthResult => {
    if (!apiKeys) return { ok: false, reason: 'malformed_credentials', message: 'API keys are not accepted here; send a bearer token' };
    const key = findApiKey(apiKeys.value, presented);
    if (!key) return { ok: false, reason: 'unknown_api_key', message: 'the API key is not known' };
    return { ok: true, caller: { kind: 'apiKey', id: `key:${key.id}`, tenant: key.tenant } };
  };

  const byToken = async (token: string): Promise<AuthResult> => {
    if (!jwt) return { ok: false, reason: 'malformed_credentials', message: 'bearer tokens are not accepted here; send an API key' };
    const verified = await jwt.verify(token);
    if (!verified.ok) return verified;
    const tenant = verified.payload[settings.tenantClaim];
    if (tenant !== undefined && (typeof tenant !== 'string' || tenant === '')) {
      return { ok: false, reason: 'invalid_token', message: `the bearer token's ${settings.tenantClaim} claim must be a non-empty string` };
    }
    const subject = verified.payload.sub ?? verified.payload.iss ?? 'unknown';
    return { ok: true, caller: { kind: 'jwt', id: `sub:${subject}`, tenant } };
  };

  return {
    mode,
    async authenticate(credentials) {
      const { bearer, apiKey, peerKeyId } = credentials;
      if (bearer === undefined && apiKey === undefined && peerKeyId !== undefined && settings.acceptPeers) {
        // Not trusted yet: ingest admits only events whose signature verifies (IngestService.permit).
        return { ok: true, caller: { kind: 'peer', id: `peer:${peerKeyId.slice(0, 64)}` } };
      }
      if (bearer === undefined && apiKey === undefined) {
        const wanted =
          mode === 'jwt'
            ? 'Authorization: Bearer <token>'
            : mode === 'apiKey'
              ? 'X-API-Key or Authorization: Bearer <key>'
              : 'X-API-Key or Authorization: Bearer';
        return { ok: false, reason: 'missing_credentials', message: `credentials are required (${wanted})` };
      }
      if (bearer === '') return { ok: false, reason: 'malformed_credentials', message: 'the Authorization header must be "Bearer <credential>"' };
      const presented = apiKey ?? bearer!;
      if (presented.length === 0 || presented.length > MAX_CREDENTIAL_LENGTH) {
        return { ok: false, reason: 'malformed_credentials', message: `a credential must be 1 to ${MAX_CREDENTIAL_LENGTH} characters` };
      }
      if (apiKey !== undefined) return byApiKey(apiKey);
      if (mode === 'apiKey') return byApiKey(bearer!);
      if (mode === 'jwt' || JWT_SHAPE.test(bearer!)) return byToken(bearer!);
      return byApiKey(bearer!);
    },
    close() {
      apiKeys?.close();
      jwt?.close();
    },
  };
}
