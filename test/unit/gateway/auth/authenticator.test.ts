import { generateKeyPairSync } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { findApiKey, parseApiKeys } from '../../../../gateway/auth/api-keys.js';
import { createAuthenticator, type AuthSettings } from '../../../../gateway/auth/authenticator.js';
import { createLogger } from '../../../../src/observability/logger.js';
import { SecretDir, jwks, randomKey, signingKey, token } from '../../../support/secrets.js';

const secrets = new SecretDir();
afterAll(() => secrets.remove());
const logger = createLogger({ name: 'test', level: 'silent' });
const jwtDefaults = { audience: [] as string[], algorithms: ['RS256', 'ES256'] as ('RS256' | 'ES256')[], clockSkewMs: 0 };
const settings = (over: Partial<AuthSettings>): AuthSettings => ({
  mode: 'none',
  jwt: jwtDefaults,
  tenantClaim: 'tenant_id',
  reloadIntervalMs: 50,
  acceptPeers: false,
  ...over,
});
const address = '10.0.0.1';

describe('API key files', () => {
  it('reads one key per line with an optional tenant, or one key per file named by its id', () => {
    const [a, b] = [randomKey(), randomKey()];
    const fromFile = parseApiKeys([{ name: undefined, content: `# comment\n\n${a}\n${b} tenant=t1\n` }]);
    expect(fromFile.map((k) => k.tenant)).toEqual([undefined, 't1']);
    expect(findApiKey(fromFile, b)?.tenant).toBe('t1');
    expect(findApiKey(fromFile, `${b}x`)).toBeUndefined();
    const fromDir = parseApiKeys([{ name: 'ci-bot', content: `${a}\n` }]);
    expect(fromDir[0]!.id).toBe('ci-bot');
  });

  it('refuses short keys, unknown attributes and empty files, naming the line', () => {
    expect(() => parseApiKeys([{ name: undefined, content: 'short\n' }])).toThrow(/line 1: a key must be at least 16/);
    expect(() => parseApiKeys([{ name: undefined, content: `${randomKey()} role=admin\n` }])).toThrow(/unknown attribute/);
    expect(() => parseApiKeys([{ name: undefined, content: '# nothing\n' }])).toThrow(/no API keys/);
  });
});

describe('createAuthenticator', () => {
  it('mode none: everyone is an anonymous caller keyed by address', async () => {
    const auth = await createAuthenticator(settings({}), logger);
    expect(await auth.authenticate({ address })).toEqual({ ok: true, caller: { kind: 'anonymous', id: `addr:${address}` } });
  });

  it('mode any: a JWT-shaped bearer is a token, anything else a key; X-API-Key is a key', async () => {
    const key = randomKey();
    const rsa = await signingKey('RS256', 'r1');
    const auth = await createAuthenticator(
      settings({
        mode: 'any',
        apiKeysFile: secrets.write('any-keys', `${key} tenant=t9\n`),
        jwt: { ...jwtDefaults, keyFile: secrets.write('any-jwks.json', jwks(rsa)) },
      }),
      logger,
    );
    const jwt = await token(rsa, { subject: 'svc', claims: { tenant_id: 'tx' } });
    expect(await auth.authenticate({ bearer: jwt, address })).toMatchObject({ ok: true, caller: { kind: 'jwt', id: 'sub:svc', tenant: 'tx' } });
    expect(await auth.authenticate({ bearer: key, address })).toMatchObject({ ok: true, caller: { kind: 'apiKey', tenant: 't9' } });
    expect(await auth.authenticate({ apiKey: key, address })).toMatchObject({ ok: true, caller: { kind: 'apiKey' } });
    expect(await auth.authenticate({ bearer: '', address })).toMatchObject({ ok: false, reason: 'malformed_credentials' });
    expect(await auth.authenticate({ apiKey: 'x'.repeat(20_000), address })).toMatchObject({ ok: false, reason: 'malformed_credentials' });
    const badTenant = await token(rsa, { claims: { tenant_id: 5 } });
    expect(await auth.authenticate({ bearer: badTenant, address })).toMatchObject({ ok: false, reason: 'invalid_token' });
    auth.close();
  });

  it('mode jwt with a PEM key file; peers only when federation keys are held', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pemFile = secrets.write('ec.pem', publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const key = { alg: 'ES256' as const, kid: 'any', privateKey: privateKey as never, publicJwk: {} };
    const auth = await createAuthenticator(settings({ mode: 'jwt', jwt: { ...jwtDefaults, keyFile: pemFile } }), logger);
    expect(await auth.authenticate({ bearer: await token(key), address })).toMatchObject({ ok: true });
    expect(await auth.authenticate({ apiKey: randomKey(), address })).toMatchObject({ ok: false, reason: 'malformed_credentials' });
    expect(await auth.authenticate({ peerKeyId: 'k1', address })).toMatchObject({ ok: false, reason: 'missing_credentials' });
    const withPeers = await createAuthenticator(settings({ mode: 'jwt', jwt: { ...jwtDefaults, keyFile: pemFile }, acceptPeers: true }), logger);
    expect(await withPeers.authenticate({ peerKeyId: 'k1', address })).toEqual({ ok: true, caller: { kind: 'peer', id: 'peer:k1' } });
    auth.close();
    withPeers.close();
  });

  it('rotates JWT signing keys when the key file changes', async () => {
    const [oldKey, newKey] = await Promise.all([signingKey('RS256', 'old'), signingKey('RS256', 'new')]);
    const file = secrets.write('rotating-jwks.json', jwks(oldKey));
    const auth = await createAuthenticator(settings({ mode: 'jwt', jwt: { ...jwtDefaults, keyFile: file } }), logger);
    const [oldToken, newToken] = await Promise.all([token(oldKey), token(newKey)]);
    expect(await auth.authenticate({ bearer: oldToken, address })).toMatchObject({ ok: true });
    expect(await auth.authenticate({ bearer: newToken, address })).toMatchObject({ ok: false, reason: 'unknown_signing_key' });
    secrets.write('rotating-jwks.json', jwks(newKey));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await auth.authenticate({ bearer: newToken, address })).toMatchObject({ ok: true });
    expect(await auth.authenticate({ bearer: oldToken, address })).toMatchObject({ ok: false, reason: 'unknown_signing_key' });
    auth.close();
  });
});
