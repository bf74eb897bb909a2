// Client-side helpers for tests: kubeconfig loading, raw API requests, CRD installation, namespaces.
// Uses @kubernetes/client-node 1.4 (note: its generic patch calls default to JSON patch).
import { ApiextensionsV1Api, CoreV1Api, KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { isAbsolute, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from './binaries.js';
import { sleep } from './proc.js';

export type KubeconfigLike = string | KubeConfig;

export function loadKubeConfig(kc: KubeconfigLike): KubeConfig {
  if (typeof kc !== 'string') return kc;
  const config = new KubeConfig();
  config.loadFromFile(kc);
  return config;
}

/** A raw request against the API server of `kc` (JSON in, parsed JSON out when possible). */
export async function kubeRequest(
  kc: KubeconfigLike,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: unknown; text: string }> {
  const config = loadKubeConfig(kc);
  const cluster = config.getCurrentCluster();
  if (cluster === null) throw new Error('kubeconfig has no current cluster');
  const url = new URL(path, cluster.server);
  const opts: RequestOptions = { method, headers: { Accept: 'application/json' } };
  await config.applyToHTTPSOptions(opts);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  if (payload !== undefined) opts.headers = { ...opts.headers, 'Content-Type': contentType };
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, opts, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, text });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined/false. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (${lastError})` : ''}`);
    await sleep(intervalMs);
  }
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === 404;
}

/**
 * Creates or updates the CRD by server-side apply of the manifest as written. (The typed client
 * would re-serialize it through its models and silently drop the x-kubernetes-* extensions.)
 */
export async function applyCrd(kc: KubeconfigLike, crd: V1CustomResourceDefinition): Promise<void> {
  const name = crd.metadata?.name;
  if (name === undefined) throw new Error('CustomResourceDefinition without metadata.name');
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}?fieldManager=tas-mcp-test-harness&force=true`;
  const res = await kubeRequest(kc, 'PATCH', path, crd, 'application/apply-patch+yaml');
  if (res.status !== 200 && res.status !== 201) throw new Error(`applying CRD ${name}: HTTP ${res.status}: ${res.text}`);
}

/** Waits until the CRD is Established, and each served version is listed in discovery and can be watched. */
export async function waitForCrd(kc: KubeconfigLike, name: string, timeoutMs = 60_000): Promise<void> {
  const config = loadKubeConfig(kc);
  const api = config.makeApiClient(ApiextensionsV1Api);
  const crd = await waitUntil(
    `CRD ${name} Established`,
    async () => {
      const current = await api.readCustomResourceDefinition({ name });
      const established = current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      return established === true ? current : undefined;
    },
    timeoutMs,
  );
  const { group, names } = crd.spec;
  for (const version of crd.spec.versions.filter((v) => v.served)) {
    await waitUntil(
      `${names.plural}.${group}/${version.name} in discovery`,
      async () => {
        const res = await kubeRequest(config, 'GET', `/apis/${group}/${version.name}`);
        const resources = (res.body as { resources?: { name: string }[] }).resources ?? [];
        return res.status === 200 && resources.some((r) => r.name === names.plural);
      },
      timeoutMs,
    );
    // Right after a CRD is established its watch cache may still be initializing, and watches get
    // 429 Too Many Requests until it is; informers retry, a one-shot test watch would not.
    await waitUntil(
      `${names.plural}.${group}/${version.name} watchable`,
      async () => {
        const res = await kubeRequest(config, 'GET', `/apis/${group}/${version.name}/${names.plural}?watch=1&timeoutSeconds=1`);
        if (res.status !== 200) throw new Error(`watch returned HTTP ${res.status}`);
        return true;
      },
      timeoutMs,
    );
  }
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...yamlFiles(path));
    else if (/\.ya?ml$/i.test(entry) && !/^kustomization\.ya?ml$/i.test(entry)) out.push(path);
  }
  return out;
}

/**
 * Applies every CustomResourceDefinition in the YAML files under `dir` (relative paths are relative to
 * the repository root; default `crds`) and waits until each is Established and served by discovery.
 * A missing or empty directory installs nothing. Returns the names of the CRDs installed.
 */
export async function installCrds(kubeconfig: KubeconfigLike, dir = 'crds', timeoutMs = 60_000): Promise<string[]> {
  const root = isAbsolute(dir) ? dir : join(repoRoot(), dir);
  if (!existsSync(root)) return [];
  const crds: V1CustomResourceDefinition[] = [];
  for (const file of yamlFiles(root)) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message ?? 'YAML error'}`);
      const obj = doc.toJS() as { kind?: string } | null;
      if (obj === null || obj === undefined) continue;
      if (obj.kind !== 'CustomResourceDefinition') {
        throw new Error(`${file}: expected only CustomResourceDefinitions, found kind ${String(obj.kind)}`);
      }
      crds.push(obj as V1CustomResourceDefinition);
    }
  }
  const kc = loadKubeConfig(kubeconfig);
  for (const crd of crds) await applyCrd(kc, crd);
  const names = crds.map((c) => c.metadata?.name ?? '');
  for (const name of names) await waitForCrd(kc, name, timeoutMs);
  return names;
}

/** Creates a fresh namespace `<prefix>-<random>` (labelled tas.ai/test=true) and returns its name. */
export async function createNamespace(kubeconfig: KubeconfigLike, prefix = 'test'): Promise<string> {
  const core = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
  const base =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50) || 'test';
  const name = `${base}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'tas.ai/test': 'true' } } } });
  return name;
}

/** Deletes a namespace (does not wait: without kube-controller-manager it stays Terminating). */
export async function deleteNamespace(kubeconfig: KubeconfigLike, name: string): Promise<void> {
  const core = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
  try {
    await core.deleteNamespace({ name });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
