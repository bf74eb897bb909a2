// What a reconcile is asked to look at: one object by namespace and name (controller-runtime's
// reconcile.Request). The work queue keys requests as "namespace/name" strings so it can
// deduplicate them; reconcilers and mappers only ever see the typed request.
import type { KubernetesObject } from '@kubernetes/client-node';
import { objectKey, splitObjectKey } from './client.js';

export interface Request {
  /** Undefined for a cluster-scoped object. */
  readonly namespace: string | undefined;
  readonly name: string;
}

/** The request for `object` itself. */
export function requestFor(object: KubernetesObject): Request {
  return { namespace: object.metadata?.namespace, name: object.metadata?.name ?? '' };
}

/** "namespace/name" (or "name"): the queue key, and what logs and index values use. */
export function requestKey(request: Request): string {
  return objectKey(request.namespace, request.name);
}

/** The request an index value or queue key names. */
export function requestFromKey(key: string): Request {
  return splitObjectKey(key);
}
