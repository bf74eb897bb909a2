// The informer's store: objects by "namespace/name", plus named indexes (index value -> keys) kept
// up to date on every change, so "which McpServers reference X" is a map lookup, not a scan.
import type { KubernetesObject } from '@kubernetes/client-node';
import { objectKey } from './client.js';

export type IndexFunction<T> = (object: T) => readonly string[];

export function keyOf(object: KubernetesObject): string {
  return objectKey(object.metadata?.namespace, object.metadata?.name ?? '');
}

export class ObjectCache<T extends KubernetesObject> {
  private readonly objects = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunction<T>>();
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  get size(): number {
    return this.objects.size;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(objectKey(namespace, name));
  }

  getByKey(key: string): T | undefined {
    return this.objects.get(key);
  }

  /** All objects, or those of one namespace. */
  list(namespace?: string): T[] {
    const all = [...this.objects.values()];
    return namespace === undefined ? all : all.filter((object) => object.metadata?.namespace === namespace);
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  /** Adds an index and fills it from the objects already held. Names must be unique. */
  addIndex(name: string, indexFunction: IndexFunction<T>): void {
    if (this.indexers.has(name)) throw new Error(`index ${name} already exists`);
    this.indexers.set(name, indexFunction);
    this.indices.set(name, new Map());
    for (const [key, object] of this.objects) this.indexObject(name, indexFunction, key, object);
  }

  /** Objects whose index function for `indexName` returned `value`. */
  byIndex(indexName: string, value: string): T[] {
    return this.keysByIndex(indexName, value).map((key) => this.objects.get(key)!);
  }

  keysByIndex(indexName: string, value: string): string[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`no index named ${indexName}`);
    return [...(index.get(value) ?? [])];
  }

  /** Stores `object`; returns the one it replaced. */
  upsert(object: T): T | undefined {
    const key = keyOf(object);
    const previous = this.objects.get(key);
    if (previous) this.unindex(key, previous);
    this.objects.set(key, object);
    for (const [name, indexFunction] of this.indexers) this.indexObject(name, indexFunction, key, object);
    return previous;
  }

  /** Removes the object with `key`; returns it. */
  remove(key: string): T | undefined {
    const previous = this.objects.get(key);
    if (!previous) return undefined;
    this.unindex(key, previous);
    this.objects.delete(key);
    return previous;
  }

  private indexObject(name: string, indexFunction: IndexFunction<T>, key: string, object: T): void {
    const index = this.indices.get(name)!;
    for (const value of new Set(indexFunction(object))) {
      let keys = index.get(value);
      if (!keys) index.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  private unindex(key: string, object: T): void {
    for (const [name, indexFunction] of this.indexers) {
      const index = this.indices.get(name)!;
      for (const value of indexFunction(object)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}
