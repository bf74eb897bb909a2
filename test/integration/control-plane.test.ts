// Integration tests against the `api` control plane that the globalSetup starts once per run
// (or the cluster KUBECONFIG_TEST points at): version stamping, CRDs, custom-resource CRUD and watch,
// namespaces, and the harness's own start/stop and CLI.
import { ApiextensionsV1Api, CustomObjectsApi, KubeConfig, VersionApi, Watch, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createNamespace,
  installCrds,
  isAlive,
  kubeRequest,
  loadKubeConfig,
  pinnedKubernetesVersion,
  reapStale,
  repoRoot,
  startControlPlane,
  waitForCrd,
  waitUntil,
} from '../harness/index.js';

const GROUP = 'test.tas.ai';
const VERSION = 'v1alpha1';
const PLURAL = 'widgets';

function widgetCrd(plural = PLURAL, kind = 'Widget'): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['size'],
                  properties: { size: { type: 'integer', minimum: 1 }, color: { type: 'string' } },
                },
                status: { type: 'object', properties: { phase: { type: 'string' } } },
              },
            },
          },
        },
      ],
    },
  };
}

interface Widget {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string };
  spec: { size: number; color?: string };
  status?: { phase?: string };
}

const kubeconfig = inject('kubeconfig');
let kc: KubeConfig;

beforeAll(() => {
  kc = loadKubeConfig(kubeconfig);
});

describe('api profile', () => {
  it('/version reports the pinned Kubernetes release', async () => {
    const pinned = pinnedKubernetesVersion();
    const info = await kc.makeApiClient(VersionApi).getCode();
    expect(info.gitVersion).toBe(pinned);
    const [major, minor] = pinned.replace(/^v/, '').split('.');
    expect(info.major).toBe(major);
    expect(info.minor).toBe(minor);
    expect(info.buildDate).not.toBe('1970-01-01T00:00:00Z');
  });

  it('kubectl version reports the pinned release too', () => {
    const probe = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
    if (probe.error !== undefined) {
      // kubectl is optional for the suite; the /version test above covers the server.
      expect((probe.error as NodeJS.ErrnoException).code).toBe('ENOENT');
      return;
    }
    const out = execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'version', '-o', 'json'], { encoding: 'utf8' });
    const parsed = JSON.parse(out) as { serverVersion?: { gitVersion?: string } };
    expect(parsed.serverVersion?.gitVersion).toBe(pinnedKubernetesVersion());
  });

  it('creates unique namespaces', async () => {
    const a = await createNamespace(kc, 'ns-Test_unique');
    const b = await createNamespace(kubeconfig, 'ns-Test_unique');
    expect(a).toMatch(/^ns-test-unique-[0-9a-f]{6}$/);
    expect(b).not.toBe(a);
    const res = await kubeRequest(kc, 'GET', `/api/v1/namespaces/${b}`);
    expect(res.status).toBe(200);
    expect((res.body as { metadata: { labels: Record<string, string> } }).metadata.labels['tas.ai/test']).toBe('true');
  });

  it('installCrds handles a missing or empty directory and installs CRDs from YAML', async () => {
    expect(await installCrds(kc, join(tmpdir(), 'tas-mcp-no-such-dir'))).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-crds-'));
    try {
      expect(await installCrds(kc, dir)).toEqual([]);
      const { stringify } = await import('yaml');
      writeFileSync(join(dir, 'README.txt'), 'not yaml, ignored');
      writeFileSync(join(dir, 'gadgets.yaml'), `# a comment\n---\n${stringify(widgetCrd('gadgets', 'Gadget'))}---\n`);
      expect(await installCrds(kc, dir)).toEqual([`gadgets.${GROUP}`]);
      const discovery = await kubeRequest(kc, 'GET', `/apis/${GROUP}/${VERSION}`);
      expect(discovery.status).toBe(200);
      expect(JSON.stringify(discovery.body)).toContain('"gadgets"');
      // Re-applying is idempotent.
      expect(await installCrds(kc, dir)).toEqual([`gadgets.${GROUP}`]);
      writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
      await expect(installCrds(kc, dir)).rejects.toThrow(/expected only CustomResourceDefinitions/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The repository's crds/ directory (empty or absent today) installs cleanly.
    await expect(installCrds(kc)).resolves.toBeInstanceOf(Array);
  });

  it('custom resources: CRUD, schema validation and a watch', async () => {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const crd = widgetCrd();
    try {
      await ext.createCustomResourceDefinition({ body: crd });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
    await waitForCrd(kc, `${PLURAL}.${GROUP}`);

    const ns = await createNamespace(kc, 'widgets');
    const api = kc.makeApiClient(CustomObjectsApi);
    const base = { group: GROUP, version: VERSION, namespace: ns, plural: PLURAL };

    const events: { type: string; name: string; size: number; phase?: string }[] = [];
    const watchDone: { err?: unknown } = {};
    const controller = await new Watch(kc).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}`,
      { allowWatchBookmarks: false },
      (type, obj: Widget) => {
        events.push({ type, name: obj.metadata.name, size: obj.spec.size, phase: obj.status?.phase });
      },
      (err) => {
        watchDone.err = err;
      },
    );
    try {
      const created = (await api.createNamespacedCustomObject({
        ...base,
        body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3, color: 'red' } },
      })) as Widget;
      expect(created.metadata.uid).toBeTruthy();
      expect(created.spec).toEqual({ size: 3, color: 'red' });

      // The structural schema is enforced: size must be an integer >= 1.
      await expect(
        api.createNamespacedCustomObject({
          ...base,
          body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Widget', metadata: { name: 'bad' }, spec: { size: 0 } },
        }),
      ).rejects.toMatchObject({ code: 422 });

      const read = (await api.getNamespacedCustomObject({ ...base, name: 'w1' })) as Widget;
      expect(read.spec.size).toBe(3);

      // client-node 1.4 sends JSON patch by default.
      const patched = (await api.patchNamespacedCustomObject({
        ...base,
        name: 'w1',
        body: [{ op: 'replace', path: '/spec/size', value: 5 }],
      })) as Widget;
      expect(patched.spec.size).toBe(5);

      const withStatus = (await api.replaceNamespacedCustomObjectStatus({
        ...base,
        name: 'w1',
        body: { ...patched, status: { phase: 'Ready' } },
      })) as Widget;
      expect(withStatus.status?.phase).toBe('Ready');

      const list = (await api.listNamespacedCustomObject(base)) as { items: Widget[] };
      expect(list.items.map((w) => w.metadata.name)).toEqual(['w1']);

      await api.deleteNamespacedCustomObject({ ...base, name: 'w1' });
      await waitUntil('widget w1 deleted', async () => {
        try {
          await api.getNamespacedCustomObject({ ...base, name: 'w1' });
          return false;
        } catch (err) {
          return (err as { code?: number }).code === 404;
        }
      });

      await waitUntil(
        'DELETED watch event',
        async () => {
          if (watchDone.err !== undefined) throw new Error(`watch ended: ${String(watchDone.err)}`);
          return events.some((e) => e.type === 'DELETED');
        },
        20_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; events so far: ${JSON.stringify(events)}`);
      });
      expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'DELETED']);
      expect(events[0]).toMatchObject({ name: 'w1', size: 3 });
      expect(events[1]).toMatchObject({ name: 'w1', size: 5 });
      expect(events[2]).toMatchObject({ name: 'w1', size: 5, phase: 'Ready' });
      expect(watchDone.err).toBeUndefined();
    } finally {
      controller.abort();
    }
  });
});

describe('harness', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('starts a second control plane on other ports and leaves nothing behind on stop()', async () => {
    const cp = await startControlPlane({ profile: 'api' });
    dirs.push(cp.dir);
    let stopped = false;
    try {
      expect(cp.server).not.toBe(kc.getCurrentCluster()?.server);
      expect(cp.processes.map((p) => p.name)).toEqual(['etcd', 'kube-apiserver']);
      for (const p of cp.processes) expect(isAlive(p.pid)).toBe(true);
      const other = await loadKubeConfig(cp.kubeconfigPath).makeApiClient(VersionApi).getCode();
      expect(other.gitVersion).toBe(pinnedKubernetesVersion());
      await cp.stop();
      stopped = true;
      for (const p of cp.processes) expect(isAlive(p.pid)).toBe(false);
      expect(existsSync(cp.dir)).toBe(false);
    } finally {
      if (!stopped) await cp.stop();
    }
  });

  /** Starts an `api` control plane in a separate Node process; resolves with its dir and pids. */
  async function startInChild(): Promise<{ child: ChildProcess; dir: string; pids: number[] }> {
    const index = join(repoRoot(), 'dist', 'test', 'harness', 'index.js');
    expect(existsSync(index), `${index} is missing: run npx tsc -p tsconfig.json first`).toBe(true);
    const script = `import(${JSON.stringify(index)}).then(async (m) => {
      const cp = await m.startControlPlane({ profile: 'api' });
      process.stdout.write(JSON.stringify({ dir: cp.dir, pids: cp.processes.map((p) => p.pid) }) + '\\n');
      setInterval(() => undefined, 1000);
    });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolveLine, reject) => {
      let buffer = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        if (buffer.includes('\n')) resolveLine(buffer.split('\n')[0] ?? '');
      });
      child.once('exit', (code) => reject(new Error(`child exited early (${String(code)})`)));
    });
    return { child, ...(JSON.parse(line) as { dir: string; pids: number[] }) };
  }

  it('an interrupted owner (SIGTERM) takes its control plane down with it', async () => {
    const { child, dir, pids } = await startInChild();
    dirs.push(dir);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(isAlive(pid)).toBe(true);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    await waitUntil('processes gone', async () => pids.every((pid) => !isAlive(pid)), 10_000);
    expect(existsSync(dir)).toBe(false);
  });

  it('a control plane whose owner was SIGKILLed is reaped by the next start', async () => {
    const { child, dir, pids } = await startInChild();
    dirs.push(dir);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    // Nothing could clean up: the processes are orphaned...
    for (const pid of pids) expect(isAlive(pid)).toBe(true);
    // ...until the next start reaps them.
    reapStale();
    await waitUntil('orphans reaped', async () => pids.every((pid) => !isAlive(pid)), 10_000);
    expect(existsSync(dir)).toBe(false);
  });

  it('cli.js up/down runs a detached control plane that kubectl can use', () => {
    const cli = join(repoRoot(), 'dist', 'test', 'harness', 'cli.js');
    expect(existsSync(cli), `${cli} is missing: run npx tsc -p tsconfig.json first`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-cli-'));
    dirs.push(dir);
    const stateDir = join(dir, 'cluster');
    const up = spawnSync(process.execPath, [cli, 'up', '--profile', 'api', '--dir', stateDir], { encoding: 'utf8', timeout: 180_000 });
    try {
      expect(up.status, up.stderr).toBe(0);
      const kubeconfigPath = up.stdout.trim().split('\n').pop() ?? '';
      expect(kubeconfigPath).toBe(join(stateDir, 'kubeconfig'));
      // The CLI process has exited; the control plane keeps running.
      const res = spawnSync(process.execPath, [cli, 'status', '--dir', stateDir], { encoding: 'utf8' });
      expect(res.status, res.stderr).toBe(0);
      const again = spawnSync(process.execPath, [cli, 'up', '--profile', 'api', '--dir', stateDir], { encoding: 'utf8' });
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout.trim().split('\n').pop()).toBe(kubeconfigPath);
      const kubectl = spawnSync('kubectl', ['--kubeconfig', kubeconfigPath, 'get', 'ns', '-o', 'name'], { encoding: 'utf8' });
      if (kubectl.error === undefined) {
        expect(kubectl.status, kubectl.stderr).toBe(0);
        expect(kubectl.stdout).toContain('namespace/default');
      }
    } finally {
      const down = spawnSync(process.execPath, [cli, 'down', '--dir', stateDir], { encoding: 'utf8', timeout: 60_000 });
      expect(down.status, down.stderr).toBe(0);
    }
    expect(existsSync(stateDir)).toBe(false);
    const status = spawnSync(process.execPath, [cli, 'status', '--dir', stateDir], { encoding: 'utf8' });
    expect(status.status).toBe(1);
  });
});
