// The informers of one process, shared by its controllers (controller-runtime's manager cache):
// each controller asks for the kinds it reads and the indexes it needs, beside its own wiring,
// and gets the one informer per kind (and label selector) that every other controller uses too.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Informer } from './informer.js';
import type { ResourceDescriptor } from './list-watch-source.js';
import type { IndexFunction } from './object-cache.js';

export interface InformerRequest {
  /** Only objects with these labels (e.g. the children a controller manages). */
  labelSelector?: string | undefined;
}

export type InformerFactory = <T extends KubernetesObject>(resource: ResourceDescriptor, request: InformerRequest) => Informer<T>;

export class SharedInformers {
  private readonly informers = new Map<string, Informer<KubernetesObject>>();
  private readonly indexes = new Map<Informer<KubernetesObject>, Map<string, IndexFunction<never>>>();

  constructor(private readonly create: InformerFactory) {}

  /** The informer for `resource` (one per kind and label selector), made on first use. */
  informer<T extends KubernetesObject>(resource: ResourceDescriptor, request: InformerRequest = {}): Informer<T> {
    const id = `${resource.apiVersion}/${resource.kind}?${request.labelSelector ?? ''}`;
    let informer = this.informers.get(id);
    if (!informer) {
      informer = this.create<KubernetesObject>(resource, request);
      this.informers.set(id, informer);
    }
    return informer as unknown as Informer<T>;
  }

  /**
   * Adds index `name` to `informer` unless it has it. Two controllers may declare the same index
   * with the same function; the same name with another function is a wiring mistake.
   */
  index<T extends KubernetesObject>(informer: Informer<T>, name: string, indexFunction: IndexFunction<T>): void {
    const key = informer as unknown as Informer<KubernetesObject>;
    const declared = this.indexes.get(key) ?? new Map<string, IndexFunction<never>>();
    this.indexes.set(key, declared);
    const existing = declared.get(name);
    if (existing === indexFunction) return;
    if (existing) throw new Error(`index ${name} on ${informer.resource.kind} is declared twice with different functions`);
    informer.addIndex(name, indexFunction);
    declared.set(name, indexFunction);
  }

  all(): Informer<KubernetesObject>[] {
    return [...this.informers.values()];
  }

  hasSynced(): boolean {
    return this.all().every((informer) => informer.hasSynced());
  }

  stop(): void {
    for (const informer of this.informers.values()) informer.stop();
  }
}
