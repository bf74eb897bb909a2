import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiException } from '@kubernetes/client-node';
import {
  apiStatusCode,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  loadKubeConfig,
  objectKey,
  retryAfterMs,
  splitObjectKey,
} from '../../../src/kube/client.js';
import { microTime, parseMicroTime } from '../../../src/kube/micro-time.js';

describe('API error helpers', () => {
  it('reads the status from ApiException, Watch errors and watch ERROR Status objects', () => {
    expect(apiStatusCode(new ApiException(404, 'nf', {}, {}))).toBe(404);
    expect(apiStatusCode(Object.assign(new Error('Gone'), { statusCode: 410 }))).toBe(410);
    expect(apiStatusCode({ kind: 'Status', code: 410 })).toBe(410);
    expect(apiStatusCode(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeUndefined();
    expect(apiStatusCode(undefined)).toBeUndefined();
    expect(isNotFound(new ApiException(404, '', {}, {}))).toBe(true);
    expect(isGone({ code: 410 })).toBe(true);
  });

  it('tells AlreadyExists from a resourceVersion conflict', () => {
    const exists = new ApiException(409, '', { kind: 'Status', reason: 'AlreadyExists' }, {});
    const conflict = new ApiException(409, '', JSON.stringify({ kind: 'Status', reason: 'Conflict' }), {});
    expect(isAlreadyExists(exists)).toBe(true);
    expect(isAlreadyExists(conflict)).toBe(false);
    expect(isConflict(conflict)).toBe(true);
  });

  it('reads Retry-After from the header or the Status details', () => {
    expect(retryAfterMs(new ApiException(429, '', {}, { 'retry-after': '2' }))).toBe(2_000);
    expect(retryAfterMs(new ApiException(429, '', { details: { retryAfterSeconds: 5 } }, {}))).toBe(5_000);
    expect(retryAfterMs(new ApiException(429, '', {}, {}))).toBeUndefined();
  });

  it('builds and splits namespace/name keys', () => {
    expect(objectKey('ns', 'a')).toBe('ns/a');
    expect(objectKey(undefined, 'node-1')).toBe('node-1');
    expect(splitObjectKey('ns/a')).toEqual({ namespace: 'ns', name: 'a' });
    expect(splitObjectKey('node-1')).toEqual({ namespace: undefined, name: 'node-1' });
  });
});

describe('loadKubeConfig', () => {
  const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'https://10.0.0.1:6443' } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`;

  it('loads an explicit path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    writeFileSync(join(dir, 'config'), kubeconfig);
    expect(loadKubeConfig({ path: join(dir, 'config'), env: {} }).getCurrentCluster()?.server).toBe('https://10.0.0.1:6443');
  });

  it('refuses to fall back to localhost:8080 when there is no configuration at all', () => {
    const env = { HOME: mkdtempSync(join(tmpdir(), 'home-')) };
    const previousHome = process.env.HOME;
    process.env.HOME = env.HOME;
    try {
      expect(() => loadKubeConfig({ env })).toThrow(/no kubeconfig/);
    } finally {
      process.env.HOME = previousHome;
    }
  });
});

describe('MicroTime', () => {
  it('serializes with six fractional digits and parses what the API returns', () => {
    const time = microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    expect(JSON.stringify({ time })).toBe('{"time":"2026-01-02T03:04:05.678000Z"}');
    expect(parseMicroTime('2026-01-02T03:04:05.678901Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    expect(parseMicroTime(undefined)).toBeUndefined();
  });
});
