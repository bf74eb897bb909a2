// Server-side apply of the objects a controller owns, under one field manager.
//
// Steady state writes nothing. Before applying, a caller compares the desired object with the live
// one (from its informer cache) using `isSatisfiedBy`, which needs both of:
// 1. the live object carries the hash of the desired object in DESIRED_HASH_ANNOTATION: the hash
//    changes when the desired object changes in any way, including a field being removed (which a
//    plain "desired is contained in live" test cannot see, since the old value is still live);
// 2. every field of the desired object has the same value in the live object: catches drift, when
//    someone else changed a field we set (the hash annotation alone cannot see that).
// Values the API server normalises (quantities like "1000m" -> "1", defaulted fields inside lists)
// make test 2 fail every time: the object is then re-applied on each reconcile. That is still
// correct (an unchanged apply is a no-op on the server: no new resourceVersion, no watch event),
// only an extra request; render desired objects in canonical form to avoid it.
// We chose this over comparing with managedFields because deriving the field set of a desired
// object needs the schema's list-map keys (containers by name, ports by containerPort/protocol),
// which the controller does not have without fetching OpenAPI.
import { createHash } from 'node:crypto';
import type { KubernetesObject, V1OwnerReference } from '@kubernetes/client-node';
import type { KubeObjectClient } from './object-client.js';

export const DESIRED_HASH_ANNOTATION = 'mcp.tas.ai/desired-hash';

export interface ApplierOptions {
  client: KubeObjectClient;
  /** The one field manager this controller writes under. */
  fieldManager: string;
}

export interface ApplyOptions {
  /** Aborts the request (and refuses to send it once aborted). */
  signal?: AbortSignal | undefined;
}

export interface ApplyResult<T> {
  object: T;
  /** False when the live object already satisfied the desired one and nothing was sent. */
  applied: boolean;
}

export class Applier {
  private readonly client: KubeObjectClient;
  private readonly fieldManager: string;

  constructor(options: ApplierOptions) {
    this.client = options.client;
    this.fieldManager = options.fieldManager;
  }

  /**
   * Applies `desired` (force: we are the only intended writer of these fields), stamped with its
   * hash; skips the request when `live` (e.g. from the cache) already satisfies it.
   */
  async apply<T extends KubernetesObject>(desired: T, live?: KubernetesObject | undefined, options: ApplyOptions = {}): Promise<ApplyResult<T>> {
    const stamped = withDesiredHash(desired);
    if (live && isSatisfiedBy(stamped, live)) return { object: live as T, applied: false };
    const object = await this.client.apply<T>(stamped, this.fieldManager, true, options.signal);
    return { object, applied: true };
  }

  /**
   * Applies `status` through the status subresource. Pass only the status fields this controller
   * owns; `live` lets it skip the request when they already have these values.
   */
  async applyStatus<T extends KubernetesObject>(
    target: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string | undefined } },
    status: Record<string, unknown>,
    live?: KubernetesObject | undefined,
    options: ApplyOptions = {},
  ): Promise<ApplyResult<T>> {
    const body = {
      apiVersion: target.apiVersion,
      kind: target.kind,
      metadata: { name: target.metadata.name, ...(target.metadata.namespace ? { namespace: target.metadata.namespace } : {}) },
      status,
    };
    if (live && containsFields((live as { status?: unknown }).status, status)) return { object: live as T, applied: false };
    const object = await this.client.applySubresource<T>(body, 'status', this.fieldManager, true, options.signal);
    return { object, applied: true };
  }
}

/** A controller ownerReference: garbage-collects the child with `owner`, and blocks its deletion in foreground. */
export function controllerOwnerReference(owner: KubernetesObject): V1OwnerReference {
  const { apiVersion, kind } = owner;
  const name = owner.metadata?.name;
  const uid = owner.metadata?.uid;
  if (!apiVersion || !kind || !name || !uid) throw new Error(`owner needs apiVersion, kind, metadata.name and metadata.uid (got ${kind}/${name})`);
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

/** The controller owner of `object`, if any. */
export function controllerOf(object: KubernetesObject): V1OwnerReference | undefined {
  return object.metadata?.ownerReferences?.find((reference) => reference.controller === true);
}

/** A copy of `desired` carrying the hash of its content in DESIRED_HASH_ANNOTATION. */
export function withDesiredHash<T extends KubernetesObject>(desired: T): T {
  const annotations = { ...desired.metadata?.annotations };
  delete annotations[DESIRED_HASH_ANNOTATION];
  const unstamped = { ...desired, metadata: { ...desired.metadata, annotations } };
  return { ...unstamped, metadata: { ...unstamped.metadata, annotations: { ...annotations, [DESIRED_HASH_ANNOTATION]: hashObject(unstamped) } } };
}

/** See the file comment: same desired hash, and no field of `desired` differs in `live`. */
export function isSatisfiedBy(desired: KubernetesObject, live: KubernetesObject): boolean {
  const hash = desired.metadata?.annotations?.[DESIRED_HASH_ANNOTATION];
  if (!hash || live.metadata?.annotations?.[DESIRED_HASH_ANNOTATION] !== hash) return false;
  return containsFields(live, desired);
}

/** Stable sha256 of a JSON value: object keys sorted, so key order does not change it. */
export function hashObject(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * True when every field set in `wanted` has the same value in `actual`. Objects may have extra
 * keys in `actual` (server defaults, other managers); lists must have the same length, compared
 * element by element.
 */
export function containsFields(actual: unknown, wanted: unknown): boolean {
  if (wanted === undefined) return true;
  if (wanted instanceof Date || actual instanceof Date) return normaliseTime(actual) === normaliseTime(wanted);
  if (Array.isArray(wanted)) {
    return Array.isArray(actual) && actual.length === wanted.length && wanted.every((item, i) => containsFields(actual[i], item));
  }
  if (wanted !== null && typeof wanted === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(wanted).every(([key, value]) => containsFields((actual as Record<string, unknown>)[key], value));
  }
  return actual === wanted;
}

function normaliseTime(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? value : ms;
  }
  return value;
}
