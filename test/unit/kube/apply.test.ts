import { describe, expect, it } from 'vitest';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  DESIRED_HASH_ANNOTATION,
  containsFields,
  controllerOf,
  controllerOwnerReference,
  isSatisfiedBy,
  withDesiredHash,
} from '../../../src/kube/apply.js';

const desired = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'gw-config', namespace: 'team-a', labels: { app: 'gw' } },
  data: { 'config.yaml': 'port: 8080\n', extra: 'x' },
};

const hashOf = (object: KubernetesObject): string | undefined => object.metadata?.annotations?.[DESIRED_HASH_ANNOTATION];

/** What the API server would hand back after applying `object`. */
function asLive<T extends object>(object: T): T {
  const copy = structuredClone(object) as T & { metadata: Record<string, unknown> };
  copy.metadata.uid = 'u';
  copy.metadata.resourceVersion = '42';
  copy.metadata.managedFields = [{ manager: 'mcp-operator', operation: 'Apply' }];
  return copy;
}

describe('server-side apply helpers', () => {
  it('stamps a hash that ignores key order and changes with the content', () => {
    const a = withDesiredHash(desired);
    const reordered = withDesiredHash({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      data: { extra: 'x', 'config.yaml': 'port: 8080\n' },
      metadata: desired.metadata,
    });
    expect(hashOf(a)).toMatch(/^[0-9a-f]{32}$/);
    expect(hashOf(reordered)).toBe(hashOf(a));
    expect(hashOf(withDesiredHash({ ...desired, data: { 'config.yaml': 'port: 9090\n' } }))).not.toBe(hashOf(a));
    // Re-stamping a stamped object gives the same hash.
    expect(hashOf(withDesiredHash(a))).toBe(hashOf(a));
  });

  it('is satisfied by the live object it produced, with server-added fields', () => {
    const stamped = withDesiredHash(desired);
    expect(isSatisfiedBy(stamped, asLive(stamped))).toBe(true);
  });

  it('is not satisfied when someone changed a field we set (drift)', () => {
    const stamped = withDesiredHash(desired);
    const live = asLive(stamped);
    live.data['config.yaml'] = 'port: 1\n';
    expect(isSatisfiedBy(stamped, live)).toBe(false);
  });

  it('is not satisfied when the desired object dropped a field (the hash changes)', () => {
    const live = asLive(withDesiredHash(desired));
    const fewer = withDesiredHash({ ...desired, data: { 'config.yaml': 'port: 8080\n' } });
    expect(containsFields(live, fewer)).toBe(false); // only the hash annotation differs...
    expect(isSatisfiedBy(fewer, live)).toBe(false);
  });

  it('is not satisfied by an object without the hash', () => {
    const stamped = withDesiredHash(desired);
    expect(isSatisfiedBy(stamped, asLive(desired))).toBe(false);
  });

  it('compares lists by length and element, objects as subsets, times by instant', () => {
    expect(containsFields({ a: [{ x: 1, y: 2 }] }, { a: [{ x: 1 }] })).toBe(true);
    expect(containsFields({ a: [{ x: 1 }, { x: 2 }] }, { a: [{ x: 1 }] })).toBe(false);
    expect(containsFields({ a: 1 }, { a: '1' })).toBe(false);
    expect(containsFields({ t: '2026-01-01T00:00:00Z' }, { t: new Date(Date.UTC(2026, 0, 1)) })).toBe(true);
  });

  it('builds a controller ownerReference and finds it again', () => {
    const owner = { apiVersion: 'mcp.tas.ai/v1alpha1', kind: 'McpServer', metadata: { name: 'gw', namespace: 'team-a', uid: 'uid-1' } };
    const reference = controllerOwnerReference(owner);
    expect(reference).toEqual({
      apiVersion: 'mcp.tas.ai/v1alpha1',
      kind: 'McpServer',
      name: 'gw',
      uid: 'uid-1',
      controller: true,
      blockOwnerDeletion: true,
    });
    expect(controllerOf({ metadata: { ownerReferences: [{ ...reference, controller: false, uid: 'x' }, reference] } })).toBe(reference);
    expect(() => controllerOwnerReference({ apiVersion: 'v1', kind: 'X', metadata: { name: 'n' } })).toThrow(/uid/);
  });
});
