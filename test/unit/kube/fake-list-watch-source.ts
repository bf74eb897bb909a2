// A list-watch source that tests drive by hand, and a small McpServer-like object to fill it.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ListWatchSource, WatchEventType, WatchOptions } from '../../../src/kube/list-watch-source.js';

export interface Server extends KubernetesObject {
  spec?: { peers?: { name: string; namespace: string }[] };
}

export const server = (namespace: string, name: string, resourceVersion: string, peers: string[] = []): Server => ({
  apiVersion: 'mcp.tas.ai/v1alpha1',
  kind: 'McpServer',
  metadata: { namespace, name, resourceVersion },
  spec: { peers: peers.map((key) => ({ namespace: key.split('/')[0]!, name: key.split('/')[1]! })) },
});

export interface OpenWatch {
  namespace: string | undefined;
  options: WatchOptions;
  emit: (type: WatchEventType, object: KubernetesObject | { code: number; message: string }) => void;
  end: (error?: unknown) => void;
  aborted: boolean;
}

/** A list-watch source the test drives by hand. */
export class FakeSource<T extends KubernetesObject = Server> implements ListWatchSource<T> {
  items = new Map<string | undefined, T[]>();
  resourceVersion = '10';
  lists: (string | undefined)[] = [];
  watches: OpenWatch[] = [];
  listFailures: Error[] = [];
  /** When set, list() waits for this promise. */
  listGate: Promise<void> | undefined;
  watchGate: Promise<void> | undefined;

  async list(namespace: string | undefined) {
    this.lists.push(namespace);
    if (this.listGate) await this.listGate;
    const failure = this.listFailures.shift();
    if (failure) throw failure;
    return { items: structuredClone(this.items.get(namespace) ?? []), resourceVersion: this.resourceVersion };
  }

  async watch(
    namespace: string | undefined,
    options: WatchOptions,
    onEvent: (type: WatchEventType, object: T) => void,
    onDone: (error?: unknown) => void,
  ) {
    const open: OpenWatch = {
      namespace,
      options,
      emit: (type, object) => onEvent(type, object as unknown as T),
      end: (error) => onDone(error),
      aborted: false,
    };
    this.watches.push(open);
    if (this.watchGate) await this.watchGate;
    return { abort: () => void (open.aborted = true) };
  }

  last(): OpenWatch {
    return this.watches.at(-1)!;
  }
}
