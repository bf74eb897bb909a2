// Whether the API server serves a kind, from discovery (GET /apis/<group>/<version>), which every
// authenticated client may read: for kinds that may not be installed (another project's CRD), so
// a controller watches them only once they exist instead of failing its list forever.
import { isNotFound } from './client.js';
import type { ResourceDescriptor } from './list-watch-source.js';
import type { KubeObjectClient } from './object-client.js';

interface ApiResourceList {
  resources?: { name: string }[];
}

export async function apiServes(client: KubeObjectClient, resource: ResourceDescriptor): Promise<boolean> {
  const path = resource.apiVersion.includes('/') ? `/apis/${resource.apiVersion}` : `/api/${resource.apiVersion}`;
  try {
    const list = await client.getJson<ApiResourceList>(path);
    return (list.resources ?? []).some((r) => r.name === resource.plural);
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
