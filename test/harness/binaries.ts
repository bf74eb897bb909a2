// Finds the binaries test/cluster/build.sh builds, by component (control-plane, nats, grpcurl, ...):
// $TAS_<COMPONENT>_BIN_DIR if set (e.g. TAS_NATS_BIN_DIR; TAS_CLUSTER_BIN_DIR for the control plane),
// otherwise whatever `bash test/cluster/build.sh <component>` prints as its last stdout line (a cache
// hit takes well under a second; a cold build compiles the component first). Which component holds
// which binary comes from the recipes themselves (`build.sh --binaries`), so a new component's
// binaries are found without changing this file.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (works from test/harness/*.ts and from dist/test/harness/*.js). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'test', 'cluster', 'build.sh')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (test/cluster/build.sh)');
    dir = parent;
  }
}

const buildScript = (): string => join(repoRoot(), 'test', 'cluster', 'build.sh');

/** The variable that points a component at prebuilt binaries: nats -> TAS_NATS_BIN_DIR. */
export function binDirVariable(component: string): string {
  return `TAS_${component.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_BIN_DIR`;
}

const binDirs = new Map<string, string>();

/** The bin dir of one component of test/cluster/build.sh, built on first use (once per process). */
export function componentBinDir(component: string): string {
  const known = binDirs.get(component);
  if (known !== undefined) return known;
  const variables = component === 'control-plane' ? [binDirVariable(component), 'TAS_CLUSTER_BIN_DIR'] : [binDirVariable(component)];
  for (const variable of variables) {
    const fromEnv = process.env[variable];
    if (fromEnv !== undefined && fromEnv !== '') {
      const dir = resolve(fromEnv);
      if (!existsSync(dir)) throw new Error(`${variable}=${fromEnv}: no such directory`);
      binDirs.set(component, dir);
      return dir;
    }
  }
  const result = spawnSync('bash', [buildScript(), component], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`bash test/cluster/build.sh ${component} failed (exit ${result.status ?? result.signal ?? result.error?.message})`);
  }
  const last = result.stdout.trim().split('\n').pop() ?? '';
  if (last === '' || !existsSync(join(last, '.complete'))) {
    throw new Error(`build.sh ${component} printed no usable bin dir: ${JSON.stringify(last)}`);
  }
  binDirs.set(component, last);
  return last;
}

let components: Map<string, string> | undefined;

/** binary name -> component, from every test/cluster/<component>/recipe.sh. */
export function binaryComponents(): Map<string, string> {
  if (components !== undefined) return components;
  const result = spawnSync('bash', [buildScript(), '--binaries'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bash test/cluster/build.sh --binaries failed: ${result.stderr.trim()}`);
  components = new Map();
  for (const line of result.stdout.trim().split('\n')) {
    const [component, binary] = line.split(' ');
    if (component !== undefined && binary !== undefined) components.set(binary, component);
  }
  return components;
}

/** The path of a built binary, e.g. binPath('nats-server'); builds its component on first use. */
export function binPath(binary: string): string {
  const component = binaryComponents().get(binary);
  if (component === undefined) {
    throw new Error(`no test/cluster component builds '${binary}' (known: ${[...binaryComponents().keys()].join(', ')})`);
  }
  const path = join(componentBinDir(component), binary);
  if (!existsSync(path)) throw new Error(`${path} does not exist (component ${component}; check ${binDirVariable(component)})`);
  return path;
}

/** The control plane's bin dir (etcd, kube-apiserver, ..., kwok-stages.yaml). */
export function binDir(): string {
  return componentBinDir('control-plane');
}

/** The pinned Kubernetes release (test/cluster/kubernetes/go.mod), e.g. "v1.36.3". */
export function pinnedKubernetesVersion(): string {
  const goMod = readFileSync(join(repoRoot(), 'test', 'cluster', 'kubernetes', 'go.mod'), 'utf8');
  const match = /^require\s+k8s\.io\/kubernetes\s+(v\S+)/m.exec(goMod) ?? /^\s+k8s\.io\/kubernetes\s+(v\S+)/m.exec(goMod);
  if (match?.[1] === undefined) throw new Error('cannot find k8s.io/kubernetes in test/cluster/kubernetes/go.mod');
  return match[1];
}
