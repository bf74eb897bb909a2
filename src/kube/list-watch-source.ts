// Where an informer gets its objects: list and watch of one resource. The real source talks to the
// API server (raw JSON list through KubeObjectClient, client-node's Watch for the stream); unit
// tests give a fake.
import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { KubeObjectClient } from './object-client.js';

/** Enough to build the resource's paths without discovery. */
export interface ResourceDescriptor {
  apiVersion: string;
  kind: string;
  /** Lower-case plural, as in the URL: "mcpservers", "deployments". */
  plural: string;
  namespaced: boolean;
}

export interface ListOptions {
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}

export interface WatchOptions extends ListOptions {
  resourceVersion: string;
  /** The server closes the watch after this long; we then resume from the last resourceVersion. */
  timeoutSeconds: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchHandle {
  abort(): void;
}

export interface ListWatchSource<T extends KubernetesObject> {
  list(namespace: string | undefined, options: ListOptions): Promise<{ items: T[]; resourceVersion: string }>;
  /**
   * Opens a watch. `onEvent` gets each event; `onDone` is called once when the stream ends
   * (error or not). May call onDone before the returned promise settles.
   */
  watch(
    namespace: string | undefined,
    options: WatchOptions,
    onEvent: (type: WatchEventType, object: T) => void,
    onDone: (error?: unknown) => void,
  ): Promise<WatchHandle>;
}

export function resourcePath(resource: ResourceDescriptor, namespace: string | undefined): string {
  const root = resource.apiVersion.includes('/') ? `/apis/${resource.apiVersion}` : `/api/${resource.apiVersion}`;
  const scope = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${root}${scope}/${resource.plural}`;
}

export function createApiListWatchSource<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  client: KubeObjectClient,
  resource: ResourceDescriptor,
): ListWatchSource<T> {
  const watcher = new Watch(kubeConfig);
  return {
    async list(namespace, options) {
      const list = await client.getJson<{ items?: T[]; metadata?: { resourceVersion?: string } }>(resourcePath(resource, namespace), {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
      });
      // List items carry no apiVersion/kind; put them back so cached objects are complete.
      const items = (list.items ?? []).map((item) => ({ apiVersion: resource.apiVersion, kind: resource.kind, ...item }));
      return { items, resourceVersion: list.metadata?.resourceVersion ?? '' };
    },
    async watch(namespace, options, onEvent, onDone) {
      const query: Record<string, string | number | boolean> = {
        resourceVersion: options.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: options.timeoutSeconds,
      };
      if (options.labelSelector) query.labelSelector = options.labelSelector;
      if (options.fieldSelector) query.fieldSelector = options.fieldSelector;
      const controller = await watcher.watch(
        resourcePath(resource, namespace),
        query,
        (type: string, object: T) => onEvent(type as WatchEventType, object),
        (error: unknown) => onDone(error ?? undefined),
      );
      return { abort: () => controller.abort() };
    },
  };
}
