// A KubernetesObjectApi (any kind by apiVersion/kind, with discovery) extended with what client-node
// 1.4's lacks: server-side apply that can be aborted, subresources (status) and raw JSON reads. Raw reads matter for the informer cache:
// the typed deserializer turns timestamps into Date for built-in kinds but leaves them strings for
// custom resources and watch events, so a cache filled from both would hold both shapes.
import { HttpMethod, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';

export class KubeObjectClient extends KubernetesObjectApi {
  static fromKubeConfig(kubeConfig: KubeConfig): KubeObjectClient {
    const client = kubeConfig.makeApiClient(KubeObjectClient);
    client.setDefaultNamespace(kubeConfig);
    return client;
  }

  /** Server-side applies `body`; `signal` aborts the request (a reconcile past its deadline). */
  async apply<T extends KubernetesObject>(body: KubernetesObject, fieldManager: string, force: boolean, signal?: AbortSignal): Promise<T> {
    return this.sendApply<T>(await this.specUriPath({ ...body, metadata: { ...body.metadata } }, 'patch'), body, fieldManager, force, signal);
  }

  /** Server-side applies `body` to `<object path>/<subresource>`. */
  async applySubresource<T extends KubernetesObject>(
    body: KubernetesObject,
    subresource: string,
    fieldManager: string,
    force: boolean,
    signal?: AbortSignal,
  ): Promise<T> {
    const path = `${await this.specUriPath({ ...body, metadata: { ...body.metadata } }, 'patch')}/${subresource}`;
    return this.sendApply<T>(path, body, fieldManager, force, signal);
  }

  private async sendApply<T extends KubernetesObject>(
    path: string,
    body: KubernetesObject,
    fieldManager: string,
    force: boolean,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    signal?.throwIfAborted();
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.PATCH);
    request.setHeaderParam('Accept', 'application/json');
    request.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    request.setQueryParam('fieldManager', fieldManager);
    request.setQueryParam('force', String(force));
    request.setBody(JSON.stringify(body));
    if (signal) request.setSignal(signal);
    return this.requestPromise<T>(request);
  }

  /** GET `path` and return the JSON as the server sent it (no typed deserialization); `signal` aborts it. */
  async getJson<T>(path: string, query: Record<string, string | undefined> = {}, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.GET);
    request.setHeaderParam('Accept', 'application/json');
    for (const [name, value] of Object.entries(query)) if (value !== undefined) request.setQueryParam(name, value);
    if (signal) request.setSignal(signal);
    // 'any' is a primitive to client-node's ObjectSerializer: the parsed JSON comes back untouched.
    return (await this.requestPromise(request, 'any')) as T;
  }
}
